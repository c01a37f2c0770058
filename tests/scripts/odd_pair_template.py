#!/usr/bin/env python3
"""Give a model directory's tokenizer.json a pair template of an unknown shape, in place.

    python3 tests/scripts/odd_pair_template.py DIR

The TemplateProcessing's "pair" becomes $A then $B with no special token
between them: neither BERT's [CLS] A [SEP] B [SEP] nor RoBERTa's
<s> A </s></s> B </s>, so the engine cannot encode pairs with it and a
cross-encoder using it must be refused at load.  Stdlib only.
"""
import json
import os
import sys


def main(d):
    path = os.path.join(d, "tokenizer.json")
    with open(path, encoding="utf-8") as f:
        tok = json.load(f)
    pair = tok["post_processor"]["pair"]
    tok["post_processor"]["pair"] = [p for p in pair if "Sequence" in p]
    with open(path, "w", encoding="utf-8") as f:
        json.dump(tok, f, ensure_ascii=False)


if __name__ == "__main__":
    main(sys.argv[1])
