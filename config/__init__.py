"""Bundled configuration data: settings, the sample feed list, rule packs, glossary, sample feeds.

Installed as ``feedscrub.bundled``; it holds data only (YAML, XML). ``feedscrub.config`` reads it.
"""

from pathlib import Path

DIR = Path(__file__).resolve().parent
