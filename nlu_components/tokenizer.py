"""Jieba tokenizer that never emits whitespace tokens.

Rasa's JiebaTokenizer keeps the spaces jieba returns between Chinese and Latin words
("我要转人工 please" → [..., "人工", " ", "please"]). The featurizers drop those spaces, so token and
feature counts disagree and DIET fails (RasaHQ/rasa#7910). Dropping them here keeps the offsets of
the remaining tokens, which entity extraction relies on.
"""

from __future__ import annotations

from typing import List, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.training_data.message import Message


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True)
class SpacelessJiebaTokenizer(JiebaTokenizer):
    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        import jieba

        text = message.get(attribute)
        tokens = [Token(word, start) for (word, start, _end) in jieba.tokenize(text) if word.strip()]
        return self._apply_token_pattern(tokens)
