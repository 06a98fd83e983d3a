"""The Jieba tokenizer must not emit whitespace tokens on mixed Chinese/English text (rasa#7910)."""

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.settings import PROJECT_ROOT
from nlu_components.tokenizer import SpacelessJiebaTokenizer

MIXED = "我要转人工 please"


@pytest.fixture
def storage(tmp_path):
    return LocalModelStorage(tmp_path)


def make(cls, storage, **config):
    return cls.create(
        {**cls.get_default_config(), **config},
        storage,
        Resource(cls.__name__),
        ExecutionContext(GraphSchema({}), "test"),
    )


def test_stock_jieba_tokenizer_has_the_bug(storage):
    tokens = make(JiebaTokenizer, storage).tokenize(Message(data={TEXT: MIXED}), TEXT)
    assert any(not t.text.strip() for t in tokens)  # if this ever fails, upstream fixed it


def test_no_whitespace_tokens_and_offsets_still_point_into_the_text(storage):
    tokenizer = make(SpacelessJiebaTokenizer, storage, dictionary_path=str(PROJECT_ROOT / "knowledge" / "lexicon"))
    tokens = tokenizer.tokenize(Message(data={TEXT: MIXED}), TEXT)
    assert [t.text for t in tokens] == ["我要", "转人工", "please"]
    for token in tokens:
        assert MIXED[token.start : token.end] == token.text


def test_domain_terms_from_the_project_dictionary_stay_whole(storage):
    tokenizer = make(SpacelessJiebaTokenizer, storage, dictionary_path=str(PROJECT_ROOT / "knowledge" / "lexicon"))
    tokens = [t.text for t in tokenizer.tokenize(Message(data={TEXT: "低保边缘家庭和刚性支出怎么认定"}), TEXT)]
    assert "低保边缘家庭" in tokens and "刚性支出" in tokens


@pytest.mark.parametrize("analyzer", ["word", "char_wb"])
def test_every_token_carries_features(storage, analyzer):
    """The symptom of rasa#7910: a whitespace token gets an all-zero feature row, which DIET
    then learns from as if it were a word (older Rasa versions crashed on the count mismatch)."""
    tokenizer = make(SpacelessJiebaTokenizer, storage)
    featurizer = make(CountVectorsFeaturizer, storage, analyzer=analyzer, min_ngram=1, max_ngram=3)
    messages = [Message(data={TEXT: MIXED, "intent": "handoff"}), Message(data={TEXT: "你好 hello", "intent": "greet"})]
    data = TrainingData(messages)
    tokenizer.process_training_data(data)
    featurizer.train(data)
    featurizer.process_training_data(data)
    for message in messages:
        seq, _sentence = message.get_sparse_features(TEXT, [])
        assert seq.features.shape[0] == len(message.get("text_tokens"))
        assert (seq.features.sum(axis=1) > 0).all()
