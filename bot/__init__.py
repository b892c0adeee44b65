"""Channels, custom NLU components and command-line tools of the 政务服务助手."""
