#!/usr/bin/env python3
"""Writes ../resources/adversarial.txt: adversarial inputs for the tokenizer, one JSON string per line (so that
control chars, lone line breaks and invisible chars survive). Deterministic: a fixed seed, no network.
Expected outputs are NOT here: the test asks HF tokenizers (DJL) at test time.

    python3 tokenizer/src/test/scripts/generate-adversarial.py
"""
import json
import os
import random

rng = random.Random(20261127)
lines = []


def add(*texts):
    lines.extend(texts)


# Accents and combining marks: precomposed, decomposed, stacked, on capitals, Vietnamese, İ/ı, ß, ligatures
add("café résumé naïve coöperate", "cafe\u0301 re\u0301sume\u0301 nai\u0308ve", "Ångström Ǆemal ǅ ǆ",
    "e\u0301\u0302\u0303\u0304\u0305\u0306 a\u0300\u0301\u0302\u0303", "Z\u0351\u0352\u0353\u0354a\u0355\u0356lgo",
    "Tiếng Việt có dấu: Nguyễn Đức Thắng", "İstanbul ISTANBUL ıi İI", "STRASSE Straße ẞ", "ﬁ ﬂ ﬀ ﬃ Œuvre æsir",
    "ÀÁÂÃÄÅ àáâãäå ÈÉÊË ÌÍÎÏ ÒÓÔÕÖ ÙÚÛÜ Ýÿ Ññ Çç", "ΑΒΓ Σίσυφος ΣΊΣΥΦΟΣ ς σ Σ", "Ωmega Ω Å K",
    "\u0301leading combining mark", "trailing mark\u0301", "\u0300\u0301\u0302 only marks", "a\u20dd b\u20de circled",
    "Москва́ ёлка Ёж", "Ελληνικά: Ἀθῆναι ᾯ ῼ", "naïve\u200dcafé", "Ǻǻ Ǽǽ Ǿǿ ǰ J\u030c", "ﾃｽﾄ ｶﾞ ﾊﾟ", "Ａｂｃ１２３！")
# CJK, kana, Korean
add("中文分词测试", "我爱北京天安门。", "漢字とひらがなとカタカナ", "日本語のテキスト、句読点。", "東京都 渋谷区",
    "カタカナ ｶﾀｶﾅ ヴァイオリン", "ひらがなだけのぶん", "한국어 텍스트입니다", "안녕하세요 세계", "ㄱㄴㄷ ㅏㅑㅓ",
    "中a文b混c合", "𠀀𠀁 𪚥 𡃁 CJK ext B", "豈 更 車 兀 CJK compatibility", "ﬀ中ﬁ", "一二三四五六七八九十",
    "〇〻〡 々", "中文，标点！“引号”（括号）", "「かぎかっこ」『二重』【隅付き】", "ＡＢＣ全角ａｂｃ", "Ｈｅｌｌｏ　Ｗｏｒｌｄ",
    "朝鮮民主主義人民共和国", "대한민국 서울특별시", "가나다라마바사아자차카타파하", "漢字𠮷野家")
# Arabic, Hebrew, Hindi, Thai, other scripts
add("مرحبا بالعالم", "اللُّغَةُ العَرَبِيَّةُ", "٠١٢٣٤٥٦٧٨٩ أرقام", "שלום עולם", "עִבְרִית", "नमस्ते दुनिया",
    "हिन्दी भाषा का परीक्षण", "क्षत्रिय ज्ञान", "สวัสดีชาวโลก", "ภาษาไทยไม่มีช่องว่าง", "ሰላም ዓለም", "Привет, мир!",
    "Γειά σου Κόσμε", "Բարեւ աշխարհ", "გამარჯობა", "ᚠᚢᚦᚨᚱᚲ runes", "ꦗꦮ Javanese", "𐌰𐌱𐌲 Gothic",
    "తెలుగు", "தமிழ்", "ಕನ್ನಡ", "മലയാളം", "বাংলা", "ગુજરાતી", "ਪੰਜਾਬੀ", "සිංහල", "ລາວ", "ខ្មែរ", "မြန်မာ", "ᠮᠣᠩᠭᠣᠯ",
    "ދިވެހި", "ܐܪܡܝܐ", "ߒߞߏ", "ⴰⵎⴰⵣⵉⵖ", "ᏣᎳᎩ", "ᐃᓄᒃᑎᑐᑦ", "Ⲙⲉⲧⲣⲉⲙⲛ̀ⲭⲏⲙⲓ")
# Emoji and ZWJ sequences, flags, skin tones, variation selectors
add("I ❤ tokenizers", "I ❤️ emoji 😀😃😄", "👨‍👩‍👧‍👦 family", "👩🏽‍💻 coder", "🏳️‍🌈 flag", "🇩🇪🇫🇷🇯🇵 flags",
    "👍🏻👍🏼👍🏽👍🏾👍🏿", "🤷‍♀️ shrug", "😀text😀", "emoji😀inside", "🥰🫠🪿 newer emoji", "#️⃣ 1️⃣ keycaps",
    "©® ™ ℠", "☃ ☂ ☀ ★ ☆", "🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉🎉", "a👨‍👩‍👧b", "🧑‍🤝‍🧑", "❤️‍🔥",
    "🏴󠁧󠁢󠁳󠁣󠁴󠁿 scotland", "︎︎text\ufe0e and emoji\ufe0f", "𝐁𝐨𝐥𝐝 𝑰𝒕𝒂𝒍𝒊𝒄 𝔉𝔯𝔞𝔨𝔱𝔲𝔯", "𝟘𝟙𝟚 math digits")
# Zero-width and invisible chars
add("zero\u200bwidth\u200bspace", "zero\u200cnon\u200djoiner", "word\u2060joiner", "soft\u00adhyphen",
    "\ufeffbom at start", "bom\ufeffinside", "left\u200eright\u200fmarks", "\u202aembedding\u202c", "\u2066isolate\u2069",
    "\u200b", "\u200b\u200c\u200d", "a\u200b \u200bb", "\u180emongolian vowel separator", "invisible\u2062times",
    "tag\U000E0041\U000E0042chars", "variation\ufe00selector", "\u034fgrapheme joiner", "\u061carabic letter mark")
# Control chars (C0, C1, DEL), NUL, U+FFFD, private use, unassigned
add("null\u0000char", "bell\u0007 and backspace\u0008", "esc\u001b[31mred\u001b[0m", "del\u007fchar",
    "c1\u0080\u0081\u009f controls", "next line\u0085here", "vertical\u000btab and form\u000cfeed",
    "file\u001cgroup\u001drecord\u001eunit\u001fseparators", "replacement\ufffdchar", "\ufffd\ufffd\ufffd",
    "private\ue000use\uf8ff", "\U000F0000 plane 15", "unassigned\u0378\u0379here", "noncharacter\ufffe\uffff",
    "\u0000", "\u0001\u0002\u0003", "tab\tseparated\tvalues", "carriage\rreturn", "windows\r\nnewline", "a\n\n\nb")
# NBSP and other Unicode spaces
add("non\u00a0breaking\u00a0space", "figure\u2007space", "narrow\u202fnbsp", "em\u2003space en\u2002space",
    "thin\u2009hair\u200aspaces", "ideographic\u3000space", "ogham\u1680space", "math\u205fspace",
    "line\u2028separator", "paragraph\u2029separator", "\u00a0\u00a0leading nbsp", "trailing nbsp\u00a0\u00a0",
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a", "mixed \u00a0\u2003\t\n spaces")
# Very long words (> 100 chars), long pieces, near the limit
add("a" * 99, "a" * 100, "a" * 101, "b" * 250, "é" * 101, "😀" * 60, "😀" * 101, "中" * 150,
    "pneumonoultramicroscopicsilicovolcanoconiosis", "supercalifragilisticexpialidocious" * 3,
    "Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch", "x" * 100 + " y", "é" * 100, "e\u0301" * 60,
    "ab" * 60 + " short", "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(300)),
    "antidisestablishmentarianism " * 20)
# Punctuation runs
add("!!!???...", "...", "—–-‐‑‒―", "«guillemets» ‹single›", "“smart quotes” ‘single’", "¿¡Qué!?", "a,b;c:d.e",
    "((((nested))))", "[[[]]]{{{}}}<<<>>>", "'''\"\"\"```", "~!@#$%^&*()_+-=", "§¶†‡•…‰′″‴", "¡¢£¤¥¦§¨©ª«¬®¯",
    "。、・〜〃", "،؛؟", "।॥", "!" * 200, "-" * 150, "a" + "." * 120 + "b", "…‥", "¦|‖", "†‡※⁂", "⸮⸘⸝⸞")
# Digits and numbers
add("0123456789", "3.14159265358979", "1,000,000.00", "1e-10 6.022e23", "٣٤٥ ۴۵۶ ४५६ ๔๕๖", "½ ¾ ⅓ ⅞",
    "²³¹ ⁴⁵ ₀₁₂", "Ⅰ Ⅱ Ⅲ Ⅳ ⅻ", "①②③ ⑴⑵", "2026-11-27T10:41:33Z", "+1 (555) 123-4567", "0x7FFFFFFF 0b1010",
    "123456789012345678901234567890", "v1.2.3-beta.4+build.5", "99.9% of 100%")
# URLs, e-mails, paths
add("https://example.com/path?q=1&r=two#frag", "http://user:pass@host:8080/a/b.html",
    "www.example.co.uk/über/straße", "mailto:someone@example.org", "ftp://ftp.example.com/file.tar.gz",
    "C:\\Windows\\System32\\drivers\\etc\\hosts", "/usr/local/bin/bicross --help", "~/.cache/bicross/models",
    "https://xn--n3h.com/☃", "[link](https://github.com/huggingface/tokenizers)", "<a href=\"x\">y</a>",
    "user.name+tag@sub.domain.com", "https://example.com/" + "a" * 120)
# Code
add("public static void main(String[] args) { System.out.println(\"hi\"); }", "def f(x): return x**2 # square",
    "for (int i = 0; i < n; i++) { sum += a[i]; }", "SELECT * FROM users WHERE id = 42;", "x->y && z || !w",
    "a == b != c <= d >= e", "#include <stdio.h>", "fn main() -> Result<(), Box<dyn Error>> {}",
    "{\"key\": [1, 2, {\"nested\": null}]}", "<?xml version=\"1.0\"?><root/>", "camelCaseIdentifier snake_case_name",
    "CONSTANT_VALUE kebab-case-name", "λx.x+1 ∀x∈ℝ: x²≥0", "$var @decorator %macro", "`backticks` ~tilde~",
    "if(a){b}else{c}", "i++ --j a+=1 b-=2", "0.5f 1L 0xFFu", "regex: ^[a-z]+\\d*$", "// comment /* block */")
# Special tokens written in the text, and near misses
add("[CLS] [SEP] [PAD] [MASK] [UNK]", "hello [SEP] world", "[CLS][SEP]", "[cls] lowercase is not special",
    "[SEP", "SEP]", "[[SEP]]", "x[MASK]y", "[UNK]nown", "[ SEP ]", "[PAD][PAD][PAD]")
# Empty, whitespace-only, single chars
add("", " ", "  ", "\t", "\n", "\r\n", " \t \n ", "\u00a0", "\u3000", "\u200b", "a", "A", ".", "中", "😀", "\u0301",
    " leading", "trailing ", "  both  ", "multiple   inner    spaces")
# Mixed real-world-ish sentences
add("The quick brown fox jumps over the lazy dog.", "THE QUICK BROWN FOX", "Hello, World! How's it going?",
    "Don't can't won't shouldn't y'all'd've", "e.g. i.e. etc. U.S.A. Ph.D.", "COVID-19 SARS-CoV-2 mRNA-1273",
    "Dr. Müller's résumé (2nd ed.) costs €42.50 — or £36!", "naïve Bayes & k-NN: 95% accuracy?",
    "It's 5 o'clock somewhere; isn't it?", "Mixed: English, Français, 中文, 日本語, 한국어, العربية, हिन्दी")

# Random mixtures from the pools above: seeded, so the file is reproducible
pools = [
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
    " \t\n\u00a0\u2003\u3000",
    "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~¡¿«»—…",
    "àéîõüçñßøåÆŒİı\u0301\u0308\u0327",
    "中文日本語漢字かなカナ한국어",
    "مرحباनमस्तेสวัสดีשלום",
    "😀👍🏽❤️\u200d🔥🇯🇵",
    "\u200b\u200c\u200d\ufeff\u00ad\u0000\u0007\u001b\u0085\ufffd\ue000",
]
while len(lines) < 420:
    n = rng.randint(1, 80)
    text = "".join(rng.choice(rng.choice(pools)) for _ in range(n))
    lines.append(text)

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "adversarial.txt")
with open(out, "w", encoding="utf-8", newline="\n") as f:
    for line in lines:
        f.write(json.dumps(line, ensure_ascii=True) + "\n")
print(f"wrote {len(lines)} lines to {os.path.normpath(out)}")
