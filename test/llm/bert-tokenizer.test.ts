// The WordPiece tokenizer against the behaviour of Hugging Face's BertTokenizer. Expected tokens
// are the ones transformers' own tests assert (tests/models/bert/test_tokenization_bert.py:
// test_chinese, test_basic_tokenizer_lower*, test_wordpiece_tokenizer, test_full_tokenizer,
// test_clean_text) and the WordpieceTokenizer docstring's "unaffable" → un ##aff ##able, run on
// the same small vocabularies; the special-token ids are bert-base-uncased's ([PAD] 0, [UNK] 100,
// [CLS] 101, [SEP] 102, [MASK] 103), which the tiny checkpoint's vocabulary keeps.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { tinyBertVocab } from '../../src/llm/bert/tiny.ts';
import { WordPieceTokenizer } from '../../src/llm/bert/tokenizer.ts';

// transformers' test_full_tokenizer vocabulary.
const HF_VOCAB = ['[UNK]', '[CLS]', '[SEP]', '[PAD]', '[MASK]', 'want', '##want', '##ed', 'wa', 'un', 'runn', '##ing', ',', 'low', 'lowest'];
const hf = new WordPieceTokenizer(HF_VOCAB);
const tiny = new WordPieceTokenizer(tinyBertVocab());
/** The basic tokenizer alone: every word is in a vocabulary made of the words themselves. */
function basic(text: string, opts: { lowercase?: boolean; stripAccents?: boolean } = {}, words: string[] = []): string[] {
  return new WordPieceTokenizer(['[UNK]', '[CLS]', '[SEP]', ...words], opts).tokenize(text);
}

describe('basic tokenization (cleaning, lower-casing, accents, punctuation, CJK)', () => {
  const words = ['hello', 'how', 'are', 'you', 'hallo', 'hällo', 'héllo', 'HeLLo', 'Are', 'yoU', 'ah', 'zz', '\u535A', '\u63A8', '!', '?'];
  test('lower-cases, splits on whitespace of every kind and on punctuation', () => {
    assert.deepEqual(basic(' \tHeLLo!how  \n Are yoU?  ', {}, words), ['hello', '!', 'how', 'are', 'you', '?']);
    assert.deepEqual(basic('H\u00E9llo', {}, words), ['hello']);
  });

  test('strips accents when lower-casing, unless told not to; a cased tokenizer keeps case and accents', () => {
    assert.deepEqual(basic(' \tHäLLo!how  \n Are yoU?  ', { stripAccents: true }, words), ['hallo', '!', 'how', 'are', 'you', '?']);
    assert.deepEqual(basic(' \tHäLLo!how  \n Are yoU?  ', { stripAccents: false }, words), ['hällo', '!', 'how', 'are', 'you', '?']);
    assert.deepEqual(basic('H\u00E9llo', { stripAccents: false }, words), ['h\u00E9llo']);
    assert.deepEqual(basic(' \tHeLLo!how  \n Are yoU?  ', { lowercase: false }, words), ['HeLLo', '!', 'how', 'Are', 'yoU', '?']);
  });

  test('special tokens typed in the text stay whole (case-sensitive), as never_split does', () => {
    assert.deepEqual(basic(' \tHeLLo!how  \n Are yoU? [UNK]', { lowercase: false }, words), ['HeLLo', '!', 'how', 'Are', 'yoU', '?', '[UNK]']);
    assert.deepEqual(tiny.tokenize('that [MASK] would'), ['that', '[MASK]', 'would']);
    assert.deepEqual(tiny.tokenize('that[MASK]would'), ['that', '[MASK]', 'would']);
    assert.deepEqual(tiny.tokenize('that [mask] would'), ['that', '[', 'mask', ']', 'would']);
  });

  test('CJK ideographs become single tokens; control characters are dropped', () => {
    assert.deepEqual(basic('ah\u535A\u63A8zz', {}, words), ['ah', '\u535A', '\u63A8', 'zz']);
    // test_clean_text: "\xad" (soft hyphen, a format character) vanishes; an unknown word is [UNK].
    assert.deepEqual(['Test', '\xad', 'test'].map((t) => hf.tokenize(t)), [['[UNK]'], [], ['[UNK]']]);
    assert.deepEqual(tiny.tokenize('the\u0005 man\u00a0woman'), ['the', 'man', 'woman']);
  });

  test('every ASCII symbol is punctuation, and so are Unicode P* characters', () => {
    const want = ['don', "'", 't', 'pay', '$', '5', '.', '00', 'for', 'e', '-', 'mail', '~', '(', 'or', '«', 'that', '»', ')'];
    assert.deepEqual(basic("don't pay $5.00 for e-mail~ (or «that»)", {}, want), want);
  });

  test('a text with accents and punctuation, uncased: Héllo, Wörld! Ça va? → hello , world ! ca va ?', () => {
    assert.deepEqual(basic('Héllo, Wörld! Ça va?', {}, ['hello', 'world', 'ca', 'va', ',', '!', '?']), ['hello', ',', 'world', '!', 'ca', 'va', '?']);
  });
});

describe('WordPiece', () => {
  test('greedy longest match from the left, ## for continuations, [UNK] for a word that cannot be cut', () => {
    const wp = new WordPieceTokenizer(['[UNK]', '[CLS]', '[SEP]', 'want', '##want', '##ed', 'wa', 'un', 'runn', '##ing']);
    assert.deepEqual(wp.tokenize(''), []);
    assert.deepEqual(wp.tokenize('unwanted running'), ['un', '##want', '##ed', 'runn', '##ing']);
    assert.deepEqual(wp.tokenize('unwantedX running'), ['[UNK]', 'runn', '##ing']);
  });

  test('"unaffable" → un ##aff ##able (the WordpieceTokenizer docstring\'s example)', () => {
    assert.deepEqual(tiny.tokenize('unaffable'), ['un', '##aff', '##able']);
    assert.deepEqual(new WordPieceTokenizer(['[UNK]', '[CLS]', '[SEP]', 'un', '##aff', '##able']).tokenize('unaffable'), ['un', '##aff', '##able']);
  });

  test('test_full_tokenizer: "UNwant\\u00E9d,running" → un ##want ##ed , runn ##ing = ids 9 6 7 12 10 11', () => {
    assert.deepEqual(hf.tokenize('UNwant\u00E9d,running'), ['un', '##want', '##ed', ',', 'runn', '##ing']);
    assert.deepEqual(hf.tokenIds('UNwant\u00E9d,running'), [9, 6, 7, 12, 10, 11]);
  });

  test('a word of more than 100 characters is [UNK]', () => {
    assert.deepEqual(tiny.tokenize('a'.repeat(100)).length, 100);
    assert.deepEqual(tiny.tokenize('a'.repeat(101)), ['[UNK]']);
  });
});

describe('ids, pairs and decoding (bert-base-uncased\'s special ids)', () => {
  test('[PAD] 0, [UNK] 100, [CLS] 101, [SEP] 102, [MASK] 103', () => {
    assert.deepEqual(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'].map((t) => tiny.idOf(t)), [0, 100, 101, 102, 103]);
    const ids = tiny.encode('The engineer informed the client that [MASK] would need more time.');
    assert.equal(ids[0], 101);
    assert.equal(ids.at(-1), 102);
    assert.equal(ids[7], 103);
    assert.deepEqual(ids.map((id) => tiny.tokenText(id)), ['[CLS]', 'the', 'engineer', 'informed', 'the', 'client', 'that', '[MASK]', 'would', 'need', 'more', 'time', '.', '[SEP]']);
  });

  test('a pair is [CLS] a [SEP] b [SEP] with token types 0 … 0 1 … 1', () => {
    const { ids, tokenTypes } = tiny.encodePair('he ran', 'she ate');
    assert.deepEqual(ids.map((id) => tiny.tokenText(id)), ['[CLS]', 'he', 'ran', '[SEP]', 'she', 'at', '##e', '[SEP]']);
    assert.deepEqual(tokenTypes, [0, 0, 0, 0, 1, 1, 1, 1]);
  });

  test('decode joins ## pieces and removes the space before punctuation, as Hugging Face\'s decode does', () => {
    const ids = tiny.encode("Hello, world! The unaffable engineer's time.");
    assert.equal(tiny.decode(ids), "[CLS] hello, world! the unaffable engineer's time. [SEP]");
    assert.equal(tiny.decode(ids, { skipSpecial: true }), "hello, world! the unaffable engineer's time.");
    assert.throws(() => tiny.tokenText(9999), /token id 9999 is not in the vocabulary \(0 to 443\)/);
  });
});

describe('vocabulary files', () => {
  test('vocab.txt with tokenizer_config.json, and tokenizer.json alone, read the same vocabulary', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bert-tok-'));
    try {
      await fs.writeFile(path.join(dir, 'vocab.txt'), HF_VOCAB.join('\r\n') + '\r\n');
      await fs.writeFile(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ do_lower_case: false }));
      const cased = await WordPieceTokenizer.fromDir(dir);
      assert.equal(cased.size, HF_VOCAB.length);
      assert.deepEqual(cased.tokenize('UNwanted'), ['[UNK]'], 'cased: UNwanted is not un ##want ##ed');
      await fs.rm(path.join(dir, 'vocab.txt'));
      await fs.rm(path.join(dir, 'tokenizer_config.json'));
      const json = {
        normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
        model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: Object.fromEntries(HF_VOCAB.map((t, i) => [t, i])) },
      };
      await fs.writeFile(path.join(dir, 'tokenizer.json'), JSON.stringify(json));
      const fromJson = await WordPieceTokenizer.fromDir(dir);
      assert.deepEqual(fromJson.vocab, HF_VOCAB);
      assert.deepEqual(fromJson.tokenIds('UNwant\u00E9d,running'), [9, 6, 7, 12, 10, 11]);
      await fs.writeFile(path.join(dir, 'tokenizer.json'), JSON.stringify({ model: { type: 'BPE', vocab: {} } }));
      await assert.rejects(WordPieceTokenizer.fromDir(dir), /not a WordPiece tokenizer \(model\.type is "BPE"\)/);
      await fs.rm(path.join(dir, 'tokenizer.json'));
      await assert.rejects(WordPieceTokenizer.fromDir(dir), /has neither vocab\.txt nor tokenizer\.json/);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  test('a vocabulary without [UNK], [CLS] or [SEP] is refused', () => {
    assert.throws(() => new WordPieceTokenizer(['[CLS]', '[SEP]', 'a']), /has no \[UNK\] token/);
    assert.throws(() => WordPieceTokenizer.fromTokenizerJson({ model: { type: 'WordPiece', vocab: { '[UNK]': 0, '[CLS]': 2 } } }), /has no token with id 1/);
  });
});
