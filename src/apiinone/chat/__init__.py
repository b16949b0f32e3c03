"""Chat completions: billing by tokens around an OpenAI-shaped provider call."""
