"""What Rasa loads, and nothing else: the Chinese NLU components (nlu/, named in config.yml) and the
tracker store, lock stores and input channels (rasa_runtime/, named in endpoints.yml and credentials.yml)."""
