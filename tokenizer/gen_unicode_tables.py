#!/usr/bin/env python3
"""gen_unicode_tables.py - write tokenizer/unicode_tables.{c,h} from the UCD.

Rerun (from the repository root) after changing this script:

    python3 tokenizer/gen_unicode_tables.py /usr/share/unicode tokenizer

The input is Debian's `unicode-data` package (Unicode 15.0 in Debian 12).
Pure Python 3 standard library; the output is committed so that building
the extension never needs Python or the UCD.

Why the filtering: Hugging Face's `tokenizers` crate classifies characters
with the `unicode_categories` crate, whose tables are Unicode 8.0, and
decomposes with `unicode-normalization-alignments`, which is Unicode 9.0
(see shared TOKENIZER-NOTES, rule 7).  Categories of already-assigned code
points rarely change and decompositions never do (normalisation
stability), so taking today's data for the code points that DerivedAge.txt
says were assigned by 8.0 (resp. 9.0) rebuilds the old tables; six
characters whose category changed since 8.0 are patched by hand below.
Code points assigned later get no flags: the crate sees them as ordinary
letter-like characters.  Lowercase mappings come from today's data, as in
Rust's `char::to_lowercase`.

Output: two-stage lookup tables (a 256-entry block per high part, blocks
deduplicated) for per-code-point flags and canonical combining classes,
a sorted table of full canonical decompositions, the primary composites
of Unicode 9.0 (NFC's pairs: the two-character canonical decompositions
less Full_Composition_Exclusion, which never changes for an assigned
character), a sorted table of
simple lowercase mappings plus the unconditional multi-code-point ones
from SpecialCasing.txt, and the ranges of the Cased and Case_Ignorable
properties (DerivedCoreProperties.txt), which Python's str.lower() consults
for a capital sigma (the Final_Sigma rule; pylower.c).  Python takes these
from the same file of its own Unicode version (3.11: 14.0).
"""
import os
import sys

NCP = 0x110000

# Flag bits; keep in sync with the WPU_* names written to the header.
FLAGS = [
    ("CTRL", "category Cc, Cf or Co in Unicode 8.0 (clean_text drops these, except tab/lf/cr)"),
    ("PUNCT", "ASCII punctuation or category P* in Unicode 8.0 (BertPreTokenizer isolates these)"),
    ("MN", "category Mn in Unicode 8.0 (strip_accents drops these)"),
    ("SPACE", "Rust char::is_whitespace (White_Space property)"),
    ("CJK", "one of the CJK ideograph ranges BertNormalizer pads with spaces"),
    ("DECOMP", "has a canonical decomposition in Unicode 9.0 (Hangul syllables included)"),
    ("LOWER", "lowercases to something else"),
    ("CCC", "non-zero canonical combining class in Unicode 9.0"),
]
BIT = {name: 1 << i for i, (name, _) in enumerate(FLAGS)}

# Ranges from the crate's is_chinese_char (note the gap at 2B820-2B91F).
CJK_RANGES = [(0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
              (0x2B740, 0x2B81F), (0x2B920, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F)]

# Category changes since Unicode 8.0 that today's data does not show.
PUNCT_EXTRA = [0x111C9, 0x166D]
MN_EXTRA = [0x1734]
MN_REMOVE = [0x111C9, 0x1885, 0x1886, 0xA9BD]


def ranges(path):
    """Yield (first, last, value) from a UCD property file."""
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            cps, value = [x.strip() for x in line.split(";")[:2]]
            a, _, b = cps.partition("..")
            yield int(a, 16), int(b or a, 16), value


def version(v):
    major, minor = v.split(".")[:2]
    return int(major) * 100 + int(minor)


def load(ucd):
    age = [None] * NCP
    for a, b, v in ranges(os.path.join(ucd, "DerivedAge.txt")):
        for cp in range(a, b + 1):
            age[cp] = version(v)
    gc = ["Cn"] * NCP
    for a, b, v in ranges(os.path.join(ucd, "extracted", "DerivedGeneralCategory.txt")):
        for cp in range(a, b + 1):
            gc[cp] = v
    space = set()
    for a, b, v in ranges(os.path.join(ucd, "PropList.txt")):
        if v == "White_Space":
            space.update(range(a, b + 1))
    decomp, ccc, lower = {}, [0] * NCP, {}
    with open(os.path.join(ucd, "UnicodeData.txt"), encoding="utf-8") as f:
        for line in f:
            field = line.rstrip("\n").split(";")
            cp = int(field[0], 16)
            ccc[cp] = int(field[3])
            if field[5] and not field[5].startswith("<"):
                decomp[cp] = [int(x, 16) for x in field[5].split()]
            if field[13]:
                lower[cp] = [int(field[13], 16)]
    with open(os.path.join(ucd, "SpecialCasing.txt"), encoding="utf-8") as f:
        for line in f:
            field = [x.strip() for x in line.split("#", 1)[0].split(";")]
            if len(field) < 5 or field[4]:  # no code, or a conditional mapping
                continue
            cp = int(field[0], 16)
            low = [int(x, 16) for x in field[1].split()]
            if low != [cp]:
                lower[cp] = low
    return age, gc, space, decomp, ccc, lower


def core_property_ranges(ucd, name):
    """Merged, sorted [first, last] ranges of a DerivedCoreProperties.txt property."""
    out = []
    for a, b, v in sorted(ranges(os.path.join(ucd, "DerivedCoreProperties.txt"))):
        if v != name:
            continue
        if out and out[-1][1] + 1 >= a:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return out


def composition_exclusions(ucd):
    out = set()
    for a, b, v in ranges(os.path.join(ucd, "DerivedNormalizationProps.txt")):
        if v == "Full_Composition_Exclusion":
            out.update(range(a, b + 1))
    return out


def full_decomposition(cp, decomp):
    if cp not in decomp:
        return [cp]
    out = []
    for c in decomp[cp]:
        out.extend(full_decomposition(c, decomp))
    return out


def two_stage(values):
    """Split a 0x110000-entry list into (stage1 block numbers, blocks)."""
    blocks, index, stage1 = [], {}, []
    for hi in range(NCP >> 8):
        block = tuple(values[hi << 8:(hi + 1) << 8])
        if block not in index:
            index[block] = len(blocks)
            blocks.append(block)
        stage1.append(index[block])
    return stage1, blocks


def c_array(ctype, name, values, per_line=16, fmt="{}"):
    lines = [f"const {ctype} {name}[{len(values)}] = {{"]
    for i in range(0, len(values), per_line):
        lines.append("  " + ", ".join(fmt.format(v) for v in values[i:i + per_line]) + ",")
    lines.append("};")
    return "\n".join(lines)


def main():
    ucd = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/unicode"
    outdir = sys.argv[2] if len(sys.argv) > 2 else os.path.dirname(os.path.abspath(__file__))
    age, gc, space, decomp, ccc, lower = load(ucd)
    v8, v9 = version("8.0"), version("9.0")

    def assigned_by(cp, v):
        return age[cp] is not None and age[cp] <= v

    flags = [0] * NCP
    for cp in range(NCP):
        f = 0
        if assigned_by(cp, v8):
            g = gc[cp]
            if g in ("Cc", "Cf", "Co"):
                f |= BIT["CTRL"]
            if g.startswith("P"):
                f |= BIT["PUNCT"]
            if g == "Mn":
                f |= BIT["MN"]
        if cp in space:
            f |= BIT["SPACE"]
        if assigned_by(cp, v9) and (cp in decomp or 0xAC00 <= cp <= 0xD7A3):
            f |= BIT["DECOMP"]
        if assigned_by(cp, v9) and ccc[cp]:
            f |= BIT["CCC"]
        if cp in lower and lower[cp] != [cp]:
            f |= BIT["LOWER"]
        flags[cp] = f
    for cp in list(range(33, 48)) + list(range(58, 65)) + list(range(91, 97)) + list(range(123, 127)):
        flags[cp] |= BIT["PUNCT"]
    for cp in PUNCT_EXTRA:
        flags[cp] |= BIT["PUNCT"]
    for cp in MN_EXTRA:
        flags[cp] |= BIT["MN"]
    for cp in MN_REMOVE:
        flags[cp] &= ~BIT["MN"]
    for a, b in CJK_RANGES:
        for cp in range(a, b + 1):
            flags[cp] |= BIT["CJK"]

    ccc9 = [ccc[cp] if assigned_by(cp, v9) else 0 for cp in range(NCP)]
    dec_cps = sorted(cp for cp in decomp if assigned_by(cp, v9))
    dec_data, dec_index = [], []
    for cp in dec_cps:
        d = full_decomposition(cp, decomp)
        dec_index.append((cp, len(dec_data), len(d)))
        dec_data.extend(d)
    excluded = composition_exclusions(ucd)
    comp = sorted((decomp[cp][0], decomp[cp][1], cp) for cp in dec_cps
                  if len(decomp[cp]) == 2 and cp not in excluded)
    low_cps = sorted(cp for cp in lower if lower[cp] != [cp])
    low_single = [(cp, lower[cp][0]) for cp in low_cps if len(lower[cp]) == 1]
    low_multi = [(cp, lower[cp]) for cp in low_cps if len(lower[cp]) > 1]
    assert all(len(m) == 2 for _, m in low_multi), "lowercase mappings longer than 2"

    cased = core_property_ranges(ucd, "Cased")
    ignorable = core_property_ranges(ucd, "Case_Ignorable")

    f1, fblocks = two_stage(flags)
    c1, cblocks = two_stage(ccc9)
    max_dec = max(n for _, _, n in dec_index)

    header = f"""/*
** unicode_tables.h — generated by tokenizer/gen_unicode_tables.py; do not edit.
** Rerun: python3 tokenizer/gen_unicode_tables.py /usr/share/unicode tokenizer
**
** Character data as Hugging Face's tokenizers crate sees it: categories of
** Unicode 8.0, decompositions and combining classes of Unicode 9.0 (see the
** generator for why).  Look up through unicode.c, not directly.
*/
#ifndef UNICODE_TABLES_H
#define UNICODE_TABLES_H
#include <stdint.h>

"""
    for i, (name, doc) in enumerate(FLAGS):
        header += f"#define WPU_{name} 0x{1 << i:02x} /* {doc} */\n"
    header += f"""
#define WPU_MAX_DECOMP {max_dec} /* longest full canonical decomposition */

/* flags(cp) = wpu_flag_blocks[wpu_flag_stage1[cp >> 8]][cp & 255] */
extern const uint16_t wpu_flag_stage1[{len(f1)}];
extern const uint8_t wpu_flag_blocks[{len(fblocks)}][256];
/* ccc(cp) = wpu_ccc_blocks[wpu_ccc_stage1[cp >> 8]][cp & 255] */
extern const uint16_t wpu_ccc_stage1[{len(c1)}];
extern const uint8_t wpu_ccc_blocks[{len(cblocks)}][256];

/* Full canonical decompositions (Hangul excluded: algorithmic), sorted by cp. */
typedef struct wpu_decomp {{ uint32_t cp; uint16_t off; uint16_t len; }} wpu_decomp;
extern const wpu_decomp wpu_decomp_index[{len(dec_index)}];
extern const uint32_t wpu_decomp_data[{len(dec_data)}];

/* NFC's primary composites (Hangul excluded: algorithmic), sorted by (first, second). */
typedef struct wpu_compose {{ uint32_t first, second, composite; }} wpu_compose;
extern const wpu_compose wpu_compose_pairs[{len(comp)}];

/* Lowercase mappings to one code point, sorted by cp; then the few to two. */
typedef struct wpu_lower {{ uint32_t cp; uint32_t lower; }} wpu_lower;
extern const wpu_lower wpu_lower_single[{len(low_single)}];
typedef struct wpu_lower2 {{ uint32_t cp; uint32_t lower[2]; }} wpu_lower2;
extern const wpu_lower2 wpu_lower_multi[{len(low_multi)}];

/* Inclusive [first, last] ranges of the Cased and Case_Ignorable properties, sorted. */
extern const uint32_t wpu_cased_ranges[{len(cased)}][2];
extern const uint32_t wpu_case_ignorable_ranges[{len(ignorable)}][2];

#endif
"""
    body = ["/* unicode_tables.c — generated by tokenizer/gen_unicode_tables.py; do not edit.",
            "** Rerun: python3 tokenizer/gen_unicode_tables.py /usr/share/unicode tokenizer */",
            '#include "unicode_tables.h"', ""]
    body.append(c_array("uint16_t", "wpu_flag_stage1", f1))
    body.append(f"const uint8_t wpu_flag_blocks[{len(fblocks)}][256] = {{")
    for b in fblocks:
        body.append("  {" + ",".join(str(v) for v in b) + "},")
    body.append("};")
    body.append(c_array("uint16_t", "wpu_ccc_stage1", c1))
    body.append(f"const uint8_t wpu_ccc_blocks[{len(cblocks)}][256] = {{")
    for b in cblocks:
        body.append("  {" + ",".join(str(v) for v in b) + "},")
    body.append("};")
    body.append(f"const wpu_decomp wpu_decomp_index[{len(dec_index)}] = {{")
    for i in range(0, len(dec_index), 4):
        body.append("  " + " ".join(f"{{0x{cp:X},{o},{n}}}," for cp, o, n in dec_index[i:i + 4]))
    body.append("};")
    body.append(c_array("uint32_t", "wpu_decomp_data", dec_data, 12, "0x{:X}"))
    body.append(f"const wpu_compose wpu_compose_pairs[{len(comp)}] = {{")
    for i in range(0, len(comp), 4):
        body.append("  " + " ".join(f"{{0x{a:X},0x{b:X},0x{c:X}}}," for a, b, c in comp[i:i + 4]))
    body.append("};")
    body.append(f"const wpu_lower wpu_lower_single[{len(low_single)}] = {{")
    for i in range(0, len(low_single), 6):
        body.append("  " + " ".join(f"{{0x{a:X},0x{b:X}}}," for a, b in low_single[i:i + 6]))
    body.append("};")
    body.append(f"const wpu_lower2 wpu_lower_multi[{len(low_multi)}] = {{")
    for cp, m in low_multi:
        body.append(f"  {{0x{cp:X},{{0x{m[0]:X},0x{m[1]:X}}}}},")
    body.append("};")
    for name, rs in (("wpu_cased_ranges", cased), ("wpu_case_ignorable_ranges", ignorable)):
        body.append(f"const uint32_t {name}[{len(rs)}][2] = {{")
        for i in range(0, len(rs), 6):
            body.append("  " + " ".join(f"{{0x{a:X},0x{b:X}}}," for a, b in rs[i:i + 6]))
        body.append("};")
    with open(os.path.join(outdir, "unicode_tables.h"), "w", encoding="utf-8") as f:
        f.write(header)
    with open(os.path.join(outdir, "unicode_tables.c"), "w", encoding="utf-8") as f:
        f.write("\n".join(body) + "\n")


if __name__ == "__main__":
    main()
