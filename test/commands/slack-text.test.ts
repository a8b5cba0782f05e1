import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OptionError } from '../../src/analyses/types.ts';
import { CommandTextError, parseSlackText } from '../../src/commands/slack-text.ts';

test('command and key:value options, quoted values keep their spaces', () => {
  assert.deepEqual(parseSlackText('fourier srate:500 frequencies:"3, 5, 9"'), {
    command: 'fourier', rawOptions: { srate: '500', frequencies: '3, 5, 9' },
  });
  assert.deepEqual(parseSlackText('  /correlation   n:90  '), { command: 'correlation', rawOptions: { n: '90' } });
});

test('curly quotes, single quotes, apostrophes and escaped quotes', () => {
  assert.deepEqual(parseSlackText('heatmap text:“It was a dark and stormy night”').rawOptions, { text: 'It was a dark and stormy night' });
  assert.deepEqual(parseSlackText("heatmap text:'don't panic'").rawOptions, { text: "don't panic" });
  assert.deepEqual(parseSlackText('heatmap text:don’t').rawOptions, { text: 'don’t' });
  assert.deepEqual(parseSlackText('heatmap text:"she said \\"hi\\" twice"').rawOptions, { text: 'she said "hi" twice' });
  assert.deepEqual(parseSlackText('heatmap text:""').rawOptions, { text: '' });
});

test("Slack's HTML escapes are undone in values", () => {
  assert.deepEqual(parseSlackText('heatmap text:"a &lt;b&gt; &amp; c"').rawOptions, { text: 'a <b> & c' });
});

test('model is taken out of the options; names are case- and dash-insensitive', () => {
  assert.deepEqual(parseSlackText('Heatmap model:gpt2-medium Text:hi'), { command: 'heatmap', rawOptions: { text: 'hi' }, model: 'gpt2-medium' });
  assert.deepEqual(parseSlackText('correlation sweep-n:50').rawOptions, { sweep_n: '50' });
});

test('empty text asks for help', () => {
  assert.deepEqual(parseSlackText(''), { command: 'help', rawOptions: {} });
});

test('mistakes get messages that say what to type', () => {
  assert.throws(() => parseSlackText('attentio layer:3'), (e: unknown) => e instanceof CommandTextError && /no command "attentio"/.test(e.message) && /\/lab help/.test(e.message));
  assert.throws(() => parseSlackText('fourier 500'), (e: unknown) => e instanceof CommandTextError && /"500" is not an option: write options as name:value/.test(e.message));
  assert.throws(() => parseSlackText('fourier srate:1 srate:2'), (e: unknown) => e instanceof OptionError && e.option === 'srate');
  assert.throws(() => parseSlackText('heatmap text:"never closed'), (e: unknown) => e instanceof CommandTextError && /never closed/.test(e.message));
});
