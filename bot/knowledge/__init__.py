"""The one way to read knowledge/: every file validated on load; a wrong file raises
`KnowledgeFileError` naming the file, the key and the reason.

files.py       reading YAML, the error, schema validation
parameters.py  the parameter catalogue (kind, unit, Chinese label, description): knowledge/parameters.yaml
regions.py     dated regional parameter values: knowledge/regions/*.yaml
policies.py    policy articles: knowledge/policies/*.yaml
rules.py       queue due times, emergency patterns and advice, disability grades, the eligibility rules'
               citations: knowledge/rules/*.yaml
assistance.py  专项 and 临时救助 catalogues: knowledge/assistance/*.yaml

Submodules are imported where used (this file imports none of them), so a domain package may use one
without loading the others.
"""

from bot.knowledge.files import KNOWLEDGE_DIR, KnowledgeFileError

__all__ = ["KNOWLEDGE_DIR", "KnowledgeFileError"]
