"""Writes the notebooks in this folder from the cells below (stored without outputs).

python notebooks/build_notebooks.py
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

SETUP = """import os
from pathlib import Path

# Runs go to ../runs (or $SANDBOX_RUNS, which CI sets to a temporary folder).
RUNS = Path(os.environ.get("SANDBOX_RUNS", "../runs"))
ROOT = Path("..").resolve()"""

QUICKSTART = [
    new_markdown_cell(
        "# Quickstart: run a world, load its trajectory, look at it\n\n"
        "This notebook runs the demo world (`worlds/cafe.yaml`) on the offline **heuristic** "
        "backend (a deterministic, persona-driven baseline, not a language model), then loads the "
        "trajectory with `sandbox.analysis` and plots who did what. To use a real model, pass "
        "`RunSettings(model='openai/<name>', api_base='http://127.0.0.1:8000/v1')`."
    ),
    new_code_cell(SETUP),
    new_markdown_cell(
        "## Step a world by hand\n\n`world.step()` works here even though Jupyter "
        "already runs an event loop; `await world.astep()` works too."
    ),
    new_code_cell(
        "from sandbox import World, load_world\n\n"
        "world = World(load_world(ROOT / 'worlds/cafe.yaml'))\n"
        "world.step()\n"
        "record = await world.astep()\n"
        "for event in record.events[:6]:\n"
        "    print(event.text)\n"
        "world.close()"
    ),
    new_markdown_cell("## A logged run\n\nEvery tick is committed to `trajectory.sqlite`."),
    new_code_cell(
        "from sandbox.runner.run import Run\n"
        "from sandbox.runner.settings import RunSettings\n\n"
        "run = Run.create(load_world(ROOT / 'worlds/cafe.yaml'), RunSettings(out=RUNS))\n"
        "await run.arun()\n"
        "run.close()\n"
        "run.path"
    ),
    new_code_cell(
        "from sandbox.analysis import load_runs\n\n"
        "rs = load_runs(run.directory)\n"
        "rs.runs[['run', 'model', 'status', 'ticks']]"
    ),
    new_code_cell(
        "acts = rs.actions.pivot_table(index='agent', columns='kind', values='id', aggfunc='count',"
        " fill_value=0)\n"
        "acts"
    ),
    new_code_cell(
        "import matplotlib.pyplot as plt\n\n"
        "traits = rs.agents.set_index('name')[['extraversion', 'openness']]\n"
        "talk = acts.get('say', 0) / acts.sum(axis=1)\n"
        "fig, ax = plt.subplots(figsize=(5, 3.5))\n"
        "ax.scatter(traits.loc[talk.index, 'extraversion'], talk)\n"
        "for name in talk.index:\n"
        "    ax.annotate(name, (traits.loc[name, 'extraversion'], talk[name]), fontsize=8)\n"
        "ax.set_xlabel('assigned extraversion')\n"
        "ax.set_ylabel('share of acts that are speech')\n"
        "ax.set_title('Extraverts talk more (heuristic backend)')\n"
        "plt.show()"
    ),
    new_code_cell(
        "# Where was everyone? The world's state is checkpointed at every tick.\n"
        "import pandas as pd\n\n"
        "from sandbox.store.reader import RunReader\n\n"
        "with RunReader(run.path) as reader:\n"
        "    places = {t: {n: a['place'] for n, a in reader.state_at(t)['agents'].items()}\n"
        "              for t in range(1, reader.last_tick() + 1)}\n"
        "pd.DataFrame(places).T.head(10)"
    ),
]

TRUST = [
    new_markdown_cell(
        "# Belief-behaviour consistency in the trust game\n\n"
        "After Mannekote et al. (2025), *Do Role-Playing Agents Practice What They Preach?* The "
        "studies run here at a small size on the offline **heuristic** backend, whose trustors "
        "send more with higher agreeableness and whose beliefs about groups are stereotypes, so "
        "the metrics have something to find. With a real model, set `MODEL` below (and "
        "`API_BASE` for an OpenAI-compatible server); the cells are the same."
    ),
    new_code_cell(SETUP + "\n\nMODEL = 'heuristic'\nAPI_BASE = None"),
    new_code_cell(
        "import yaml\n\n"
        "from sandbox.runner.experiment import arun_experiment\n"
        "from sandbox.runner.settings import RunSettings\n\n\n"
        "def study(name, **overrides):\n"
        "    config = yaml.safe_load((ROOT / f'experiments/trust_{name}.yaml').read_text())\n"
        "    config.update(bank=str(ROOT / 'personas/gss_bank.jsonl'), **overrides)\n"
        "    path = RUNS / f'trust_{name}_small.yaml'\n"
        "    path.parent.mkdir(parents=True, exist_ok=True)\n"
        "    path.write_text(yaml.safe_dump(config))\n"
        "    return path\n\n"
        "settings = RunSettings(model=MODEL, api_base=API_BASE, out=RUNS)\n"
        "population = await arun_experiment(study('population', personas=40), settings)\n"
        "conditioning = await arun_experiment(study('conditioning', personas=40), settings)\n"
        "forecast = await arun_experiment(study('forecast', personas=20), settings)"
    ),
    new_markdown_cell(
        "## Load the runs\n\n`load_runs` reads one run or a folder of runs, with "
        "model, condition and seed on every row."
    ),
    new_code_cell(
        "from sandbox.analysis import load_runs\n\n"
        "rs = load_runs(population)\n"
        "rs.beliefs[['model', 'strategy', 'about', 'answer']].head()"
    ),
    new_markdown_cell(
        "## Table 3: population beliefs against behaviour\n\n"
        "Per strategy: median effect gap |eta_hat^2 - eta^2| / median rank agreement rho."
    ),
    new_code_cell(
        "from sandbox.analysis.trust import population_metrics, population_table\n\n"
        "metrics = population_metrics(rs)\n"
        "population_table(metrics)"
    ),
    new_code_cell(
        "metrics.pivot_table(index='attribute', columns='strategy', values='rho').round(2)"
    ),
    new_markdown_cell(
        "## Table 4: conditioning on priors\n\nMedian Spearman between the prior "
        "stated to the trustors and their behaviour."
    ),
    new_code_cell(
        "from sandbox.analysis.trust import conditioning_metrics, conditioning_table\n\n"
        "conditioning_table(conditioning_metrics(load_runs(conditioning)))"
    ),
    new_markdown_cell("## Figure 1: forecast error against horizon"),
    new_code_cell(
        "from IPython.display import Image\n\n"
        "from sandbox.analysis.trust import forecast_errors, forecast_mae, plot_forecast_mae\n\n"
        "mae = forecast_mae(forecast_errors(load_runs(forecast)))\n"
        "Image(filename=str(plot_forecast_mae(mae, forecast / 'forecast_mae.png')))"
    ),
    new_code_cell(
        "mae.pivot_table(index=['model', 'archetype'], columns='round', values='mae').round(2)"
    ),
]


DEBATE = [
    new_markdown_cell(
        "# Debate dynamics\n\n"
        "Group debates after DEBATE (Chuang et al. 2025): private opinions before and after, "
        "rounds of public posts and one-to-one chats (partners take turns) with a new partner "
        "each round. Every post and message is judged (on topic? stance?) by the judge role: "
        "`JUDGE` below, or the agents' own model when it is `None`. Offline, the **heuristic** "
        "backend moves opinions by a bounded-confidence rule whose stubbornness depends on "
        "openness and agreeableness; set `MODEL` to run a language model instead.\n\n"
        "Every statistic comes with its uncertainty: paired tests with p-values and intervals, "
        "and correlations next to their chance level (the pull to the first partner is large "
        "even for a random 'partner', because both sides of the correlation contain the agent's "
        "own initial opinion)."
    ),
    new_code_cell(SETUP + "\n\nMODEL = 'heuristic'\nAPI_BASE = None\nJUDGE = None"),
    new_code_cell(
        "from sandbox.runner.experiment import arun_experiment\n"
        "from sandbox.runner.settings import RunSettings\n\n"
        "settings = RunSettings(model=MODEL, api_base=API_BASE, judge_model=JUDGE, out=RUNS)\n"
        "folder = await arun_experiment(ROOT / 'experiments/debate.yaml', settings)\n"
        "folder"
    ),
    new_code_cell(
        "from sandbox.analysis import debate, load_runs\n\n"
        "rs = load_runs(folder)\n"
        "debate.opinions(rs)[['agent', 'group', 'topic', 'initial', 'final', 'change']].head(8)"
    ),
    new_markdown_cell("## Group mean and SD trajectories"),
    new_code_cell(
        "debate.trajectories(rs).pivot_table(index='group', columns='phase', values=['mean', 'sd']).round(2)"
    ),
    new_markdown_cell("## Opinion change before and after: paired tests"),
    new_code_cell("debate.opinion_change(rs).drop(columns=['run']).round(3)"),
    new_markdown_cell(
        "## Regression to the mean and pull towards the first partner, with their chance level"
    ),
    new_code_cell("debate.dynamics(rs).drop(columns=['run', 'model']).round(3)"),
    new_markdown_cell("## Stance change per round, on-topic rate, public-private gap"),
    new_code_cell("debate.stance_change(rs).round(3)"),
    new_code_cell("debate.on_topic_rate(rs)"),
    new_code_cell("debate.gap_summary(rs).round(3)"),
    new_code_cell("debate.public_private_gap(rs).groupby('round')['gap'].describe().round(2)"),
    new_code_cell(
        "from IPython.display import Image\n\n"
        "Image(filename=str(debate.plot_trajectories(rs, folder / 'opinion_trajectories.png')))"
    ),
]

ILLUSION = [
    new_markdown_cell(
        "# Self-report against behaviour\n\n"
        "After *The Personality Illusion* (Han et al. 2025): every agent takes the IPIP-NEO-120 and "
        "plays the classic games (dictator, ultimatum, public goods, prisoner's dilemma). Each "
        "behaviour is regressed on the five self-reported domain scores; the signs of significant "
        "links are compared with the directions the literature reports "
        "(`experiments/personality_directions.yaml`). Offline on the **heuristic** backend, "
        "prosocial play depends on assigned agreeableness, so the expected links appear."
    ),
    new_code_cell(SETUP + "\n\nMODEL = 'heuristic'\nAPI_BASE = None"),
    new_code_cell(
        "from sandbox.runner.experiment import arun_experiment\n"
        "from sandbox.runner.settings import RunSettings\n\n"
        "folder = await arun_experiment(ROOT / 'experiments/personality_illusion.yaml',\n"
        "                               RunSettings(model=MODEL, api_base=API_BASE, out=RUNS))"
    ),
    new_code_cell(
        "from sandbox.analysis import games, load_runs\n\n"
        "rs = load_runs(folder)\n"
        "data = games.behaviours(rs).merge(games.self_reports(rs), on=['run', 'agent'])\n"
        "data.drop(columns=['run', 'model']).describe().round(2)"
    ),
    new_markdown_cell("## What agents expected to do, against what they did"),
    new_code_cell(
        "ev = games.expectations_vs_play(rs)\n"
        "for b in games.BEHAVIOURS:\n"
        "    print(f\"{b:28s} corr(expected, played) = {ev['expected_' + b].corr(ev[b]):.2f}\")"
    ),
    new_markdown_cell("## Regressions and the share of agreeing signs"),
    new_code_cell(
        "directions = games.load_directions(ROOT / 'experiments/personality_directions.yaml')\n"
        "links = games.personality_links(rs, directions)\n"
        "links.round(3)"
    ),
    new_code_cell("games.illusion_summary(links)"),
    new_code_cell(
        "import matplotlib.pyplot as plt\n\n"
        "fig, axes = plt.subplots(1, 4, figsize=(14, 3.2), sharey=False)\n"
        "for ax, b in zip(axes, games.BEHAVIOURS, strict=True):\n"
        "    ax.scatter(data['agreeableness'], data[b], s=12)\n"
        "    ax.set_xlabel('self-reported agreeableness')\n"
        "    ax.set_title(b, fontsize=9)\n"
        "fig.tight_layout()\n"
        "plt.show()"
    ),
]


SWEEPS = [
    new_markdown_cell(
        "# Sweeps: one study over seeds, with intervals\n\n"
        "A result counts only with its spread across repetitions. This notebook sweeps the trust "
        "game's population study (after Mannekote et al. 2025) over **5 seeds** on the offline "
        "**heuristic** backend: each seed draws its own sample of personas and runs it in its own "
        "process (`sandbox sweep` does the same from the command line; see docs/sweeps.md). Then "
        "it reads the sweep back, shows the study's table as means with 95% intervals across "
        "seeds, the per-seed values behind each cell, and a figure."
    ),
    new_code_cell(SETUP),
    new_code_cell(
        "import yaml\n\n"
        "from sandbox.runner.sweep import sweep\n\n"
        "# The population study at a small size: 30 personas per seed instead of 50, and four\n"
        "# of its eight attributes.\n"
        "config = yaml.safe_load((ROOT / 'experiments/trust_population.yaml').read_text())\n"
        "config.update(bank=str(ROOT / 'personas/gss_bank.jsonl'), personas=30,\n"
        "              attributes=['age_band', 'conscientiousness', 'openness', 'political_views'])\n"
        "study = RUNS / 'trust_population_sweep.yaml'\n"
        "study.parent.mkdir(parents=True, exist_ok=True)\n"
        "study.write_text(yaml.safe_dump(config))\n\n"
        "OUT = RUNS / 'trust-sweep'\n"
        "result = sweep(study, OUT, seeds=5, workers=2)  # local process pool\n"
        "result"
    ),
    new_markdown_cell(
        "Running the same sweep again starts nothing: every run has an id derived from its "
        "resolved config, model and seed, and the manifest `OUT/sweep.sqlite` knows which are "
        "completed (after a crash, `sandbox sweep --resume OUT` finishes only the missing ones)."
    ),
    new_code_cell("sweep(study, OUT, seeds=5, workers=2).started"),
    new_markdown_cell(
        "## Read the sweep back\n\n`load_sweep` gives every trajectory table over all "
        "completed runs (with model, condition and seed on each row) and the manifest."
    ),
    new_code_cell(
        "from sandbox.analysis import load_sweep\n\n"
        "ss = load_sweep(OUT)\n"
        "ss.manifest[['run_id', 'seed', 'status', 'calls', 'wall_s']]"
    ),
    new_code_cell(
        "# Dollars sent (of 10) per seed: each seed is another sample of 30 personas.\n"
        "sends = ss.actions[ss.actions['kind'] == 'send']\n"
        "sends.groupby('seed')['value'].agg(['mean', 'std', 'count']).round(2)"
    ),
    new_markdown_cell(
        "## The table over seeds\n\nEach cell: the mean over seeds and its 95% interval "
        "(Student's t over the per-seed values; seeds are the independent repetitions)."
    ),
    new_code_cell(
        "from sandbox.analysis.sweep import sweep_report\n\n"
        "report = sweep_report(OUT, figures_dir=RUNS)\n"
        "GAP = 'Population beliefs vs behaviour: median |delta eta^2|'\n"
        "RHO = 'Population beliefs vs behaviour: median rho'\n"
        "report.tables[RHO]"
    ),
    new_code_cell("report.tables[GAP]"),
    new_markdown_cell("The per-seed values behind each cell:"),
    new_code_cell("report.per_seed[RHO].round(3)"),
    new_code_cell(
        "import matplotlib.pyplot as plt\n\n"
        "summary = report.summaries[RHO]\n"
        "per_seed = report.per_seed[RHO]\n"
        "fig, ax = plt.subplots(figsize=(6, 3))\n"
        "for y, row in enumerate(summary.itertuples(index=False)):\n"
        "    ax.errorbar(row.mean, y, xerr=[[row.mean - row.low], [row.high - row.mean]],\n"
        "                fmt='o', capsize=4, color='black')\n"
        "    seeds = per_seed.loc[(row.strategy, row.model)]\n"
        "    ax.scatter(seeds, [y] * len(seeds), s=14, alpha=0.5)\n"
        "ax.set_yticks(range(len(summary)), summary['strategy'])\n"
        "ax.axvline(0, color='grey', lw=0.5)\n"
        "ax.set_xlabel('median Spearman rho, beliefs vs behaviour')\n"
        "ax.set_title('Mean over 5 seeds, 95% interval (dots: one seed each)', fontsize=9)\n"
        "fig.tight_layout()\n"
        "plt.show()"
    ),
    new_markdown_cell(
        "## Export for other tools\n\n`sandbox export OUT` (or `export_parquet`) writes "
        "one Parquet dataset per table, hive-partitioned by condition, model and seed, for "
        "pandas, DuckDB or Arrow."
    ),
    new_code_cell(
        "import pandas as pd\n\n"
        "from sandbox.store.export import export_parquet\n\n"
        "exported = export_parquet(OUT)\n"
        "actions = pd.read_parquet(exported.out / 'actions')\n"
        "actions.groupby('seed', observed=True)['value'].mean().round(2)"
    ),
]

# Studies 3 and 4 of the role-play evaluations (in notebook 06 after studies 1 and 2); each section
# stands on its own (after SETUP).
ROLE_PLAY_PART2 = [
    new_markdown_cell(
        "# Role-play evaluation, part 2: character fidelity and personality interviews\n\n"
        "Both studies run here small, on the offline **heuristic** backend: its characters show "
        "their traits in fixed cue phrases and its judge counts those cues, so the numbers check "
        "the pipeline (notes, privacy, judging, storage, report), not role-play. Set `MODEL` (and "
        "`API_BASE`, `JUDGE`) for a language model; the cells are the same."
    ),
    new_code_cell(SETUP + "\n\nMODEL = 'heuristic'\nAPI_BASE = None\nJUDGE = None"),
    new_markdown_cell(
        "## Study 3: character fidelity over a trajectory (after CharacterBox)\n\n"
        "Each round every character updates its private belief / desire / intention notes, then "
        "does one visible action and says one line. After the last round the judge writes a "
        "critique of each character's trajectory, then scores it 1-5 on seven dimensions."
    ),
    new_code_cell(
        "import yaml\n\n"
        "from sandbox.analysis import load_runs\n"
        "from sandbox.runner.experiment import arun_experiment\n"
        "from sandbox.runner.settings import RunSettings\n\n"
        "config = yaml.safe_load((ROOT / 'experiments/character_fidelity.yaml').read_text())\n"
        "config.update(bank=str(ROOT / 'personas/mbti16.yaml'), personas=6, rounds=3)\n"
        "path = RUNS / 'character_fidelity_small.yaml'\n"
        "path.parent.mkdir(parents=True, exist_ok=True)\n"
        "path.write_text(yaml.safe_dump(config))\n"
        "settings = RunSettings(model=MODEL, api_base=API_BASE, judge_model=JUDGE, out=RUNS)\n"
        "fidelity = await arun_experiment(path, settings)\n"
        "fidelity_runs = load_runs(fidelity)"
    ),
    new_markdown_cell(
        "The private notes are `beliefs` rows (strategy `bdi`); what the others saw is in "
        "`actions`."
    ),
    new_code_cell(
        "notes = fidelity_runs.beliefs[fidelity_runs.beliefs['strategy'] == 'bdi']\n"
        "notes[['tick', 'agent', 'answer']].head(4)"
    ),
    new_code_cell(
        "fidelity_runs.actions[fidelity_runs.actions['kind'] == 'act'][['tick', 'agent', 'text']]"
        ".head(6)"
    ),
    new_markdown_cell(
        "### Scores per dimension and per persona, with 95% intervals over characters"
    ),
    new_code_cell(
        "from sandbox.analysis.character_fidelity import by_dimension, by_persona, critiques, "
        "scores\n\n"
        "fidelity_scores = scores(fidelity_runs)\n"
        "dimensions = by_dimension(fidelity_scores)\n"
        "dimensions.round(2)"
    ),
    new_code_cell("by_persona(fidelity_scores).round(2)"),
    new_code_cell("critiques(fidelity_runs)[['agent', 'judge', 'critique']].head(3)"),
    new_code_cell(
        "from IPython.display import Image\n\n"
        "from sandbox.analysis.character_fidelity import plot_dimensions\n\n"
        "Image(filename=str(plot_dimensions(dimensions, RUNS / 'character_fidelity.png')))"
    ),
    new_markdown_cell(
        "## Study 4: personality from interviews, by memory retrieval strategy "
        "(after InCharacter and PersonaGym)\n\n"
        "The same world runs once per retrieval strategy; every agent is then interviewed with "
        "open questions (IPIP-NEO-120 items as questions, plus one persona-specific probe per "
        "domain) answered from the memories that strategy recalls. The judge rates the Big Five "
        "from the answers; the agents also take the IPIP-NEO-120 as a questionnaire."
    ),
    new_code_cell(
        "import yaml\n\n"
        "from sandbox.analysis import load_runs\n"
        "from sandbox.runner.experiment import arun_experiment\n"
        "from sandbox.runner.settings import RunSettings\n\n"
        "config = yaml.safe_load((ROOT / 'experiments/personality_interview.yaml').read_text())\n"
        "config.update(bank=str(ROOT / 'personas/binary32.yaml'), personas=6, ticks=3)\n"
        "path = RUNS / 'personality_interview_small.yaml'\n"
        "path.parent.mkdir(parents=True, exist_ok=True)\n"
        "path.write_text(yaml.safe_dump(config))\n"
        "settings = RunSettings(model=MODEL, api_base=API_BASE, judge_model=JUDGE, out=RUNS)\n"
        "interviews = await arun_experiment(path, settings)\n"
        "interview_runs = load_runs(interviews)"
    ),
    new_code_cell(
        "from sandbox.analysis.character_fidelity import read_table\n\n"
        "items = read_table(interview_runs, 'persona_interview_items')\n"
        "answers = read_table(interview_runs, 'persona_interview_answers')\n"
        "asked = items.merge(answers, on=['run', 'model', 'agent', 'item'])\n"
        "asked[['strategy', 'agent', 'source', 'domain', 'question', 'answer']].head(6)"
    ),
    new_markdown_cell(
        "### Agreement with the assigned traits, interview beside self-report\n\n"
        "High/low accuracy (chance .5) and mean absolute error on [0, 1], with 95% bootstrap "
        "intervals; Spearman's rho per domain across agents."
    ),
    new_code_cell(
        "from sandbox.analysis.personality_interview import agreement, by_domain, measurements\n\n"
        "measured = measurements(interview_runs)\n"
        "agreement_table = agreement(measured)\n"
        "agreement_table[['strategy', 'method', 'accuracy', 'accuracy 95% CI', 'MAE', "
        "'MAE 95% CI', 'mean rho']].round(3)"
    ),
    new_code_cell(
        "by_domain(measured).pivot_table(index=['strategy', 'method'], columns='domain', "
        "values='rho').round(2)"
    ),
    new_code_cell(
        "from IPython.display import Image\n\n"
        "from sandbox.analysis.personality_interview import plot_agreement\n\n"
        "Image(filename=str(plot_agreement(agreement_table, RUNS / 'personality_interview.png')))"
    ),
]


# Studies 1 and 2 of the role-play evaluation issue; each section is self-contained (its own
# imports and run), so sections for other studies can be added beside them.
ROLE_PLAY = [
    new_markdown_cell(
        "# Role-play evaluation\n\n"
        "Studies that ask whether role-playing agents read each other's minds, whether an "
        "assigned trait shows in what they say, whether a character stays in character and "
        "whether interviews recover a persona's Big Five. Each runs here on the offline **heuristic** "
        "backend: a lexical baseline, not a language model, so the numbers test the pipeline, "
        "not a model (docs/experiments.md says what they mean). To measure a model, run "
        "`sandbox run experiments/<study>.yaml --model ... --judge-model ...`."
    ),
    new_markdown_cell(
        "## Study 1: theory of mind from inner speech (after ToMATO)\n\n"
        "Dyads with private goals and an information asymmetry take turns; before each line the "
        "speaker writes a private thought about one mental state (first or second order), hidden "
        "from the partner. Every thought then becomes a four-option question put to the partner."
    ),
    new_code_cell(
        "import os\n"
        "from pathlib import Path\n\n"
        "import yaml\n\n"
        "from sandbox.analysis import load_runs, tom\n"
        "from sandbox.analysis.study_tables import study_table\n"
        "from sandbox.runner.experiment import arun_experiment\n"
        "from sandbox.runner.settings import RunSettings\n\n"
        "RUNS = Path(os.environ.get('SANDBOX_RUNS', '../runs'))\n"
        "ROOT = Path('..').resolve()\n"
        "config = yaml.safe_load((ROOT / 'experiments/tom_inner_speech.yaml').read_text())\n"
        "config.update(bank=str(ROOT / 'personas/binary32.yaml'),\n"
        "              situations_file=str(ROOT / 'experiments/tom_situations.yaml'), dyads=4)\n"
        "path = RUNS / 'tom_inner_speech.yaml'\n"
        "path.parent.mkdir(parents=True, exist_ok=True)\n"
        "path.write_text(yaml.safe_dump(config))\n"
        "tom_folder = await arun_experiment(path, RunSettings(out=RUNS))\n"
        "tom_rs = load_runs(tom_folder)\n"
        "tom_folder"
    ),
    new_markdown_cell(
        "The dialogue as the partner heard it (`actions`), and the private thoughts "
        "(`thoughts`, never shown to the partner):"
    ),
    new_code_cell(
        "said = tom_rs.actions[['tick', 'agent', 'target', 'text']].head(6)\n"
        "thought = tom_rs.thoughts[['tick', 'agent', 'text']].head(6)\n"
        "said.merge(thought, on=['tick', 'agent'], suffixes=('_said', '_thought'))"
    ),
    new_markdown_cell("The items (`tom_items`) and the answers (`tom_answers`):"),
    new_code_cell(
        "items = study_table(tom_rs, 'tom_items')\n"
        "items[['item', 'thinker', 'answerer', 'mental_state', 'tom_order', 'false_belief',\n"
        "       'question', 'correct']].head()"
    ),
    new_code_cell(
        "study_table(tom_rs, 'tom_answers')[['item', 'agent', 'choice', 'correct']].head()"
    ),
    new_markdown_cell(
        "Accuracy by mental state and order, with 95% Wilson intervals, chance (.25) and a "
        "binomial p against it:"
    ),
    new_code_cell(
        "answers = tom.answers(tom_rs)\n"
        "tom.by_state_and_order(answers).drop(columns='run').round(3)"
    ),
    new_markdown_cell("Overall, by order, and on the false-belief subset:"),
    new_code_cell("tom.summary(answers).drop(columns='run').round(3)"),
    new_code_cell(
        "from IPython.display import Image\n\n"
        "Image(tom.plot_accuracy(answers, RUNS / 'tom_accuracy.png'))"
    ),
    new_markdown_cell(
        "## Study 2: trait expression in dialogue (after PsyPlay)\n\n"
        "Each agent gets one Big Five trait at one pole and one intensity (the nine-level "
        "wording's *a bit*, *very*, *extremely*); pairs talk on a topic, then the judge role names "
        "the trait and pole from each agent's own lines alone."
    ),
    new_code_cell(
        "import os\n"
        "from pathlib import Path\n\n"
        "from sandbox.analysis import load_runs, traits\n"
        "from sandbox.analysis.study_tables import study_table\n"
        "from sandbox.runner.experiment import arun_experiment\n"
        "from sandbox.runner.settings import RunSettings\n\n"
        "RUNS = Path(os.environ.get('SANDBOX_RUNS', '../runs'))\n"
        "ROOT = Path('..').resolve()\n"
        "trait_folder = await arun_experiment(ROOT / 'experiments/trait_expression.yaml',\n"
        "                                     RunSettings(out=RUNS))\n"
        "trait_rs = load_runs(trait_folder)\n"
        "trait_folder"
    ),
    new_markdown_cell(
        "Each role card, what its agent said and what the judge named (`trait_judgements`):"
    ),
    new_code_cell(
        "judged = study_table(trait_rs, 'trait_judgements')\n"
        "judged[['agent', 'trait', 'direction', 'intensity', 'lines', 'judged_trait',\n"
        "        'judged_direction', 'success', 'judge']].head()"
    ),
    new_markdown_cell(
        "Success (trait and pole both named) per trait, per intensity and positive vs negative "
        "pole, with 95% Wilson intervals; chance for a uniform guess is .10:"
    ),
    new_code_cell(
        "j = traits.judgements(trait_rs)\n"
        "traits.success_rates(j, 'trait').drop(columns='run').round(3)"
    ),
    new_code_cell("traits.success_rates(j, 'intensity').drop(columns='run').round(3)"),
    new_code_cell("traits.success_rates(j, 'pole').drop(columns='run').round(3)"),
    new_code_cell(
        "from IPython.display import Image\n\n"
        "Image(traits.plot_success(j, RUNS / 'trait_success.png'))"
    ),
]

# Studies 3 and 4 follow studies 1 and 2 in notebook 06 (their own setup cell, no title of their own).
ROLE_PLAY_PART2_SECTIONS = [
    new_markdown_cell(
        "## Studies 3 and 4: character fidelity and personality interviews\n\n"
        + ROLE_PLAY_PART2[0].source.split("\n\n", 1)[1]
    ),
    *ROLE_PLAY_PART2[1:],
]


def write(name: str, cells: list) -> None:
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, HERE / name)
    print(HERE / name)


if __name__ == "__main__":
    write("01_quickstart.ipynb", QUICKSTART)
    write("02_trust_belief_behavior.ipynb", TRUST)
    write("03_debate_dynamics.ipynb", DEBATE)
    write("04_self_report_vs_behaviour.ipynb", ILLUSION)
    write("05_sweeps.ipynb", SWEEPS)
    write("06_role_play_evaluation.ipynb", ROLE_PLAY + ROLE_PLAY_PART2_SECTIONS)
