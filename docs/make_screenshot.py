"""Regenerate docs/tui.svg: the town after a few ticks, an agent selected, thoughts shown.

python docs/make_screenshot.py
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from sandbox.runner.run import Run
from sandbox.runner.settings import RunSettings
from sandbox.tui.app import SandboxApp
from sandbox.world.config import load_world

HERE = Path(__file__).resolve().parent


async def main() -> None:
    with tempfile.TemporaryDirectory() as out:
        run = Run.create(
            load_world(HERE.parent / "worlds" / "town.yaml"), RunSettings(out=Path(out))
        )
        app = SandboxApp(run)
        async with app.run_test(size=(150, 42)) as pilot:
            await pilot.press("p")
            for _ in range(5):
                await pilot.press("s")
                await app.workers.wait_for_complete()
            app.query_one("#agents").highlighted = 0
            await pilot.pause()
            app.save_screenshot(str(HERE / "tui.svg"))
            await pilot.press("q")
        run.close()
    print(HERE / "tui.svg")


if __name__ == "__main__":
    asyncio.run(main())
