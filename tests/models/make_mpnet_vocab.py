#!/usr/bin/env python3
"""Writes tests/fixtures/vocab/mpnet-style/, the tokenizer files of the mpnet
test shape, from tests/fixtures/vocab/all-MiniLM-L6-v2/ (whose vocab.txt and
tokenizer.json are bert-base-uncased's).

    python3 tests/models/make_mpnet_vocab.py      (stdlib only; deterministic)

MPNet's vocabulary (microsoft/mpnet-base, sentence-transformers/all-mpnet-base-v2)
is bert-base-uncased's shifted by 4: "<s>" 0, "<pad>" 1, "</s>" 2, "<unk>" 3,
then the 30522 BERT lines in order ("[PAD]" 4, "[UNK]" 104, "[CLS]" 105,
"[SEP]" 106, "[MASK]" 107), then "<mask>" 30526: 30527 lines.  The files
follow all-mpnet-base-v2's layout:
  vocab.txt              the 30527 lines, each ending in "\\n";
  tokenizer.json         MiniLM's with model.vocab rebuilt from vocab.txt
                         (model.unk_token "[UNK]"), truncation and padding
                         null, added_tokens <s> 0, <pad> 1, </s> 2, <unk> 3,
                         [UNK] 104, <mask> 30526 (all special, <mask> with
                         lstrip, <unk> normalized as in all-mpnet-base-v2's
                         file), post_processor RobertaProcessing (<s> A </s>,
                         <s> A </s></s> B </s>); normalizer (BertNormalizer,
                         lowercase), pre_tokenizer (BertPreTokenizer) and
                         decoder (WordPiece) as in MiniLM's.  Written compact
                         (separators "," and ":", UTF-8, no final newline), as
                         all-mpnet-base-v2's tokenizer.json is;
  tokenizer_config.json  MPNetTokenizer, do_lower_case true, model_max_length 512;
  special_tokens_map.json
The last two are json.dumps(obj, indent=2) + "\\n".  tests/tools/gen_model.c
copies all four into the mpnet model directory (make_golden.py's Python
generator too).
"""
import json
import os

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SRC = os.path.join(ROOT, "tests", "fixtures", "vocab", "all-MiniLM-L6-v2")
DST = os.path.join(ROOT, "tests", "fixtures", "vocab", "mpnet-style")

HEAD = ["<s>", "<pad>", "</s>", "<unk>"]
TAIL = ["<mask>"]


def added(i, content, lstrip=False, normalized=False):
    # key order as tokenizers serialises an AddedToken (MiniLM's file has it too)
    return {"id": i, "special": True, "content": content, "single_word": False, "lstrip": lstrip,
            "rstrip": False, "normalized": normalized}


def main():
    with open(os.path.join(SRC, "vocab.txt"), encoding="utf-8") as f:
        bert = f.read()
    assert bert.endswith("\n")
    bert = bert[:-1].split("\n")
    assert len(bert) == 30522 and bert[100] == "[UNK]" and bert[0] == "[PAD]", len(bert)
    vocab = HEAD + bert + TAIL
    assert len(vocab) == 30527 and len(set(vocab)) == len(vocab)
    ids = {t: i for i, t in enumerate(vocab)}
    assert (ids["[PAD]"], ids["[UNK]"], ids["[CLS]"], ids["[SEP]"], ids["[MASK]"], ids["<mask>"]) == \
        (4, 104, 105, 106, 107, 30526)

    with open(os.path.join(SRC, "tokenizer.json"), encoding="utf-8") as f:
        tj = json.load(f)
    # MiniLM's vocab is the same list as its vocab.txt
    assert [t for t, _ in sorted(tj["model"]["vocab"].items(), key=lambda kv: kv[1])] == bert
    assert tj["normalizer"] == {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                                "strip_accents": None, "lowercase": True}, tj["normalizer"]
    assert tj["pre_tokenizer"] == {"type": "BertPreTokenizer"}
    assert tj["decoder"] == {"type": "WordPiece", "prefix": "##", "cleanup": True}
    assert tj["model"]["type"] == "WordPiece"
    tj["truncation"] = None
    tj["padding"] = None
    tj["added_tokens"] = [added(0, "<s>"), added(1, "<pad>"), added(2, "</s>"),
                          added(3, "<unk>", normalized=True), added(104, "[UNK]"),
                          added(30526, "<mask>", lstrip=True)]
    tj["post_processor"] = {"type": "RobertaProcessing", "sep": ["</s>", 2], "cls": ["<s>", 0],
                            "trim_offsets": True, "add_prefix_space": False}
    tj["model"]["unk_token"] = "[UNK]"
    tj["model"]["vocab"] = ids
    assert list(tj) == ["version", "truncation", "padding", "added_tokens", "normalizer", "pre_tokenizer",
                        "post_processor", "decoder", "model"], list(tj)

    os.makedirs(DST, exist_ok=True)
    with open(os.path.join(DST, "vocab.txt"), "w", encoding="utf-8", newline="\n") as f:
        f.write("".join(t + "\n" for t in vocab))
    with open(os.path.join(DST, "tokenizer.json"), "w", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps(tj, ensure_ascii=False, separators=(",", ":")))
    special = {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "[UNK]", "sep_token": "</s>",
               "pad_token": "<pad>", "cls_token": "<s>", "mask_token": "<mask>"}
    cfg = {"do_lower_case": True, **special, "tokenize_chinese_chars": True, "strip_accents": None,
           "model_max_length": 512, "tokenizer_class": "MPNetTokenizer"}
    with open(os.path.join(DST, "tokenizer_config.json"), "w", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps(cfg, indent=2) + "\n")
    with open(os.path.join(DST, "special_tokens_map.json"), "w", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps(special, indent=2) + "\n")
    for fn in sorted(os.listdir(DST)):
        print("%8d  %s" % (os.path.getsize(os.path.join(DST, fn)), os.path.join(DST, fn)))


if __name__ == "__main__":
    main()
