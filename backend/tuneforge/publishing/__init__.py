"""Publishing a model version: to an Ollama server (ollama.py); the Hugging Face Hub and the
publication history come next (docs/publishing.md)."""
