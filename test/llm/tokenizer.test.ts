// GPT-2's tokenizer (r50k_base through gpt-tokenizer): known encodings, <|endoftext|> typed by a
// user stays text, and token texts print as GPT-2 would.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decode, encode, END_OF_TEXT_ID, tokenText } from '../../src/llm/tokenizer.ts';

test('known strings encode to GPT-2 ids', () => {
  assert.deepEqual(encode('I like the longer-form posts on Substack.'), [40, 588, 262, 2392, 12, 687, 6851, 319, 24944, 441, 13]);
  assert.deepEqual(encode('Hello world'), [15496, 995]);
  assert.deepEqual(encode('The capital of France is'), [464, 3139, 286, 4881, 318]);
  assert.deepEqual(encode(' Berlin'), [11307]);
  assert.deepEqual(encode(''), []);
});

test('decode inverts encode, including non-ASCII text', () => {
  for (const text of ['I like the longer-form posts on Substack.', 'naïve café — “quotes” 😀', '  two  spaces\nand a newline']) {
    assert.equal(decode(encode(text)), text);
  }
});

test('<|endoftext|> in user text is text unless explicitly allowed', () => {
  const asText = encode('a<|endoftext|>b');
  assert.ok(!asText.includes(END_OF_TEXT_ID));
  assert.equal(decode(asText), 'a<|endoftext|>b');
  const asToken = encode('a<|endoftext|>b', { allowEndOfText: true });
  assert.deepEqual(asToken, [...encode('a'), END_OF_TEXT_ID, ...encode('b')]);
  assert.deepEqual(encode('<|endoftext|>', { allowEndOfText: true }), [END_OF_TEXT_ID]);
});

test('tokenText prints one token as GPT-2 would', () => {
  assert.equal(tokenText(11307), ' Berlin');
  assert.equal(tokenText(13), '.');
  assert.equal(tokenText(END_OF_TEXT_ID), '<|endoftext|>');
  // Half of a multi-byte character cannot print on its own.
  const [first] = encode('😀');
  assert.equal(tokenText(first), '\uFFFD');
});

test('decoding a cut character does not leak into the next decode', () => {
  const [first, second] = encode('😀');
  assert.equal(decode([first]), '\uFFFD');
  assert.equal(decode([second]), '\uFFFD');
  assert.equal(decode([first, second]), '😀');
  assert.throws(() => decode([50257]), /token id 50257 is not in GPT-2's vocabulary/);
});
