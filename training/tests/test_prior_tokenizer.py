import json
from pathlib import Path

import pytest

from training.prior.tokenizer import UnknownWordsError, WordTokenizer
from training.world.grammar import VOCABULARY

PACK = Path(__file__).resolve().parents[2] / "models" / "default"


def test_round_trip_and_layout():
    tok = WordTokenizer()
    prompt = "a small red wooden treasure chest with a grey lock, front view"
    ids = tok.encode_one(prompt)[0]
    assert len(ids) == tok.cfg.max_length
    assert ids[0] == tok.bos_id and ids[ids.index(tok.eos_id) + 1:] == [tok.pad_id] * (len(ids) - ids.index(tok.eos_id) - 1)
    assert tok.decode(ids) == prompt
    assert tok.encode_one("A  Small red wooden treasure chest with a grey lock ,front view")[0] == ids


def test_vocabulary_covers_grammar_and_views():
    tok = WordTokenizer()
    assert set(VOCABULARY) | {"front", "back", "side", "overhead", "view", ","} <= set(tok.vocab)
    assert tok.vocab[:4] == ["<pad>", "<unk>", "<bos>", "<eos>"]


def test_empty_prompt_is_bos_eos():
    tok = WordTokenizer()
    ids = tok.encode([""])
    assert ids.dtype.is_floating_point is False and ids.shape == (1, tok.cfg.max_length)
    assert ids[0, :2].tolist() == [tok.bos_id, tok.eos_id] and set(ids[0, 2:].tolist()) == {tok.pad_id}


def test_unknown_words_strict_and_lenient():
    tok = WordTokenizer()
    with pytest.raises(UnknownWordsError) as err:
        tok.encode(["a purple unicorn with wings"])
    assert err.value.words == ["unicorn", "wings"] and "unicorn" in str(err.value)
    ids, unknown = tok.encode_one("a purple unicorn", strict=False)
    assert unknown == ["unicorn"] and ids[3] == tok.unk_id


def test_typed_special_tokens_are_unknown_words():
    tok = WordTokenizer()
    with pytest.raises(UnknownWordsError) as err:
        tok.encode(["a <pad> red <EOS> rock"])
    assert err.value.words == ["<pad>", "<eos>"]
    ids, unknown = tok.encode_one("<bos> a rock", strict=False)
    assert unknown == ["<bos>"] and ids[:2] == [tok.bos_id, tok.unk_id] and ids.count(tok.bos_id) == 1


def test_too_long_is_an_error_in_both_modes():
    tok = WordTokenizer()
    for strict in (True, False):
        with pytest.raises(UnknownWordsError):
            tok.encode([" ".join(["a red rock"] * 8)], strict=strict)


def test_pack_vectors_match_tokenizer():
    path = PACK / "tokenizer_vectors.json"
    assert path.exists(), "the default pack ships tokenizer_vectors.json"
    tok = WordTokenizer()
    vectors = json.loads(path.read_text())
    for case in vectors["cases"]:
        assert tok.encode_one(case["prompt"])[0] == case["ids"]
    for case in vectors["unknown_words"]:
        with pytest.raises(UnknownWordsError):
            tok.encode_one(case["prompt"])
        assert tok.encode_one(case["prompt"], strict=False) == (case["lenient_ids"], case["unknown"])
    for prompt in vectors["too_long"]:
        with pytest.raises(UnknownWordsError):
            tok.encode_one(prompt, strict=False)
