#!/usr/bin/env python3
"""Writes tests/fixtures/vocab/modernbert-style/, the tokenizer files of the
modernbert test shape, from tests/fixtures/tokenizer/bpe/tokenizer-template.json
(the byte-level BPE fixture: 4000 ids, merges as arrays).

    python3 tests/models/make_modernbert_vocab.py      (stdlib only; deterministic)

ModernBERT's tokenizer (answerdotai/ModernBERT-base, nomic-ai/modernbert-embed-base,
Alibaba-NLP/gte-modernbert-base) is OLMo's GPT-NeoX-style byte-level BPE with
BERT's specials added at the end.  This file keeps that layout at the fixture's
size:
  ids 0-3        the fixture's <s> <pad> </s> <unk> renamed as OLMo's first
                 tokens: "|||IP_ADDRESS|||" 0 and "|||EMAIL_ADDRESS|||" 3 are
                 added tokens that are neither special nor kept from the
                 normalizer (normalized true, special false), "<|padding|>" 1
                 and "<|endoftext|>" 2 special ones;
  ids 4-3998     the fixture's byte characters and merges, unchanged;
  3999-4003      "[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]": special,
                 normalized false, "[MASK]" with lstrip (as ModernBERT's);
  4004           "    " (four spaces): not special, normalized true, as the
                 GPT-NeoX tokenizer's runs of spaces;
  normalizer     NFC; pre_tokenizer and decoder ByteLevel (add_prefix_space
                 false); post_processor TemplateProcessing "[CLS] $A [SEP]",
                 pair "[CLS] $A [SEP] $B:1 [SEP]:1".
Every added token is in model.vocab too.  Written compact (separators "," and
":", UTF-8, no final newline).  tokenizer_config.json and
special_tokens_map.json are json.dumps(obj, indent=2) + "\\n".  The model's
config.json has vocab_size 4032 (rows past 4004 unused, as ModernBERT pads
50285 tokens to 50368).
"""
import json
import os

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SRC = os.path.join(ROOT, "tests", "fixtures", "tokenizer", "bpe", "tokenizer-template.json")
DST = os.path.join(ROOT, "tests", "fixtures", "vocab", "modernbert-style")

RENAMED = {0: ("|||IP_ADDRESS|||", False), 1: ("<|padding|>", True),
           2: ("<|endoftext|>", True), 3: ("|||EMAIL_ADDRESS|||", False)}
BRACKETS = ["[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]"]
SPACES = "    "


def added(i, content, special, normalized, lstrip=False):
    return {"id": i, "content": content, "single_word": False, "lstrip": lstrip,
            "rstrip": False, "normalized": normalized, "special": special}


def main():
    with open(SRC, encoding="utf-8") as f:
        src = json.load(f)
    old_vocab = src["model"]["vocab"]
    by_id = {i: t for t, i in old_vocab.items()}
    assert len(by_id) == 4000 and by_id[3999] == "<mask>"
    vocab = {}
    for i in range(3999):
        vocab[RENAMED[i][0] if i in RENAMED else by_id[i]] = i
    toks = []
    for i, (content, special) in sorted(RENAMED.items()):
        toks.append(added(i, content, special, not special))
    for k, content in enumerate(BRACKETS):
        toks.append(added(3999 + k, content, True, False, lstrip=content == "[MASK]"))
        vocab[content] = 3999 + k
    toks.append(added(4004, SPACES, False, True))
    vocab[SPACES] = 4004

    def sp(tok, type_id=0):
        return {"SpecialToken": {"id": tok, "type_id": type_id}}

    def seq(name, type_id=0):
        return {"Sequence": {"id": name, "type_id": type_id}}

    out = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": toks,
        "normalizer": {"type": "NFC"},
        "pre_tokenizer": src["pre_tokenizer"],
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [sp("[CLS]"), seq("A"), sp("[SEP]")],
            "pair": [sp("[CLS]"), seq("A"), sp("[SEP]"), seq("B", 1), sp("[SEP]", 1)],
            "special_tokens": {
                "[CLS]": {"id": "[CLS]", "ids": [4000], "tokens": ["[CLS]"]},
                "[SEP]": {"id": "[SEP]", "ids": [4001], "tokens": ["[SEP]"]},
            },
        },
        "decoder": src["decoder"],
        "model": dict(src["model"], vocab=vocab),
    }
    tok_cfg = {
        "clean_up_tokenization_spaces": True,
        "cls_token": "[CLS]",
        "mask_token": "[MASK]",
        "model_input_names": ["input_ids", "attention_mask"],
        "model_max_length": 8192,
        "pad_token": "[PAD]",
        "sep_token": "[SEP]",
        "tokenizer_class": "PreTrainedTokenizerFast",
        "unk_token": "[UNK]",
    }
    special = {
        "cls_token": {"content": "[CLS]", "lstrip": False, "normalized": False, "rstrip": False, "single_word": False},
        "mask_token": {"content": "[MASK]", "lstrip": True, "normalized": False, "rstrip": False, "single_word": False},
        "pad_token": {"content": "[PAD]", "lstrip": False, "normalized": False, "rstrip": False, "single_word": False},
        "sep_token": {"content": "[SEP]", "lstrip": False, "normalized": False, "rstrip": False, "single_word": False},
        "unk_token": {"content": "[UNK]", "lstrip": False, "normalized": False, "rstrip": False, "single_word": False},
    }
    os.makedirs(DST, exist_ok=True)
    with open(os.path.join(DST, "tokenizer.json"), "w", encoding="utf-8", newline="") as f:
        f.write(json.dumps(out, ensure_ascii=False, separators=(",", ":")))
    for name, obj in (("tokenizer_config.json", tok_cfg), ("special_tokens_map.json", special)):
        with open(os.path.join(DST, name), "w", encoding="utf-8", newline="") as f:
            f.write(json.dumps(obj, indent=2) + "\n")


if __name__ == "__main__":
    main()
