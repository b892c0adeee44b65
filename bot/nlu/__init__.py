"""Chinese NLU: text normalisation, a knowledge-base-aware jieba tokenizer and
the service matcher that turns mentions into catalogue ids."""
