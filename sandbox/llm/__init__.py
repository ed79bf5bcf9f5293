"""The language-model layer: one request type, three backends, a cache and usage accounting.

Nothing here imports litellm at import time; the litellm backend loads it on first use.
"""

from sandbox.llm.request import LLMRequest, Message

__all__ = ["LLMRequest", "Message"]
