// /tokens' BERT comparison (the notebook's ten strings, GPT-2 vs bert-base-uncased): it appears
// once bert-base-uncased is downloaded, and says how to get it otherwise.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';

// A private Hugging Face cache, set before config loads.
const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'tokens-bert-'));
process.env.HF_HOME = path.join(tmp, 'hf');
process.env.MODELS_DIR = path.join(tmp, 'models');

const { refPath, snapshotDir } = await import('../../src/llm/hf-cache.ts');
const { tinyBertVocab, writeTinyBertCheckpoint } = await import('../../src/llm/bert/tiny.ts');
const { runAnalysis } = await import('../../src/analyses/run.ts');
const { getAnalysis } = await import('../../src/analyses/index.ts');
const { plainText } = await import('../../src/analyses/lib/literal.ts');
const { decodePng } = await import('../../src/render/png.ts');

after(() => fs.rm(tmp, { recursive: true, force: true }));

const tokens = getAnalysis('tokens');
const run = () => runAnalysis(tokens, { text: 'Hello', words: 'banana', tokenizers: 'gpt2' });

test('without bert-base-uncased the explanation says how to get the comparison, and no figure is drawn', async () => {
  const r = await run();
  assert.ok(!r.figures.some((f) => f.name === 'bert-words'));
  assert.match(plainText(r.explanation), /tokenizes ten strings with bert-base-uncased's WordPiece; run `npx lab models pull bert-base-uncased`/);
});

test('with it downloaded, the ten strings as GPT-2 and WordPiece tokens: lower-cased, spaces dropped', async () => {
  // A vocabulary with the words the strings need, laid out as the Hub's snapshot of the repo.
  const vocab = [...tinyBertVocab(), 'banana', 'sub', '##stack'];
  const hub = path.join(tmp, 'hf', 'hub');
  const commit = 'b'.repeat(40);
  await writeTinyBertCheckpoint(snapshotDir(hub, 'google-bert/bert-base-uncased', commit), { vocab });
  await fs.mkdir(path.dirname(refPath(hub, 'google-bert/bert-base-uncased', 'main')), { recursive: true });
  await fs.writeFile(refPath(hub, 'google-bert/bert-base-uncased', 'main'), commit);

  const r = await run();
  const fig = r.figures.find((f) => f.name === 'bert-words');
  assert.ok(fig, r.figures.map((f) => f.name).join(', '));
  assert.ok(!(await decodePng(fig.png)).isBlank());
  const rows = (r.data['bert-words'] as { rows: { string: string; gpt2_ids: number[]; bert_ids: number[]; bert_tokens: string[] }[] }).rows;
  const at = (s: string) => rows.find((x) => x.string === s)!;
  // WordPiece (BERT's uncased rules): lower-case, split on whitespace, greedy longest match with ##.
  const id = (w: string) => vocab.indexOf(w);
  for (const s of ['banana', ' banana', ' Banana']) assert.deepEqual(at(s).bert_ids, [id('banana')], s);
  assert.deepEqual(at('substack').bert_tokens, ['sub', '##stack']);
  assert.deepEqual(at(' substack').bert_ids, [id('sub'), id('##stack')]);
  assert.deepEqual(at('.').bert_ids, [id('.')]);
  assert.deepEqual(at(' ').bert_ids, []);
  // GPT-2 (r50k_base) keeps the space and the case: " banana" and " Banana" are other tokens.
  assert.deepEqual(at('banana').gpt2_ids, [3820, 2271]);
  assert.notDeepEqual(at(' banana').gpt2_ids, at(' Banana').gpt2_ids);
  assert.match(plainText(r.explanation), /"banana", " banana" and " Banana" are the very same tokens there/);
});
