// What a digest says about each post, beyond the catalog's summary: which figure headlines it, a
// command worth trying (with the option that makes it interesting) and a question for the group.
// One entry per catalog post; posts without a command get a question and their notebook.
import { POSTS } from '../catalog/posts.ts';

export interface PostDigestContent {
  /** The figure the digest shows, from a run with the analysis defaults (the post's own example). */
  headline?: { figure: string };
  /** Options for the command (the interesting change from the defaults), and what to look for. */
  tryIt?: { options: Record<string, string | number | boolean>; why: string };
  question: string;
}

export const DIGEST_CONTENT: Readonly<Record<string, PostDigestContent>> = {
  correlation: {
    headline: { figure: 'sweep' },
    tryIt: { options: { offset: 0 }, why: 'with both means at zero, cosine similarity lands right on top of correlation — compare it with the default offset of −10.' },
    question: 'When do you want a similarity measure that changes if you add a constant to your data, and when is that a bug?',
  },
  zipf: {
    headline: { figure: 'overlay' },
    tryIt: { options: { book: 1342 }, why: "Pride and Prejudice: does Austen's slope match the post's ten books?" },
    question: "Zipf's law shows up in characters and in GPT-4 tokens alike. Is it a property of language, of the way we count, or of both?",
  },
  fourier: {
    headline: { figure: 'phase-sweep' },
    tryIt: { options: { phase: 1.571 }, why: 'at a phase of π/2 the real cosine dot product all but vanishes while the complex one keeps the full amplitude.' },
    question: 'Why does a real cosine "miss" a wave of the very same frequency, and what exactly does the imaginary part add?',
  },
  heatmap: {
    headline: { figure: 'text-heatmap' },
    tryIt: { options: { text: 'To be, or not to be, that is the question' }, why: 'a famous line: watch how predictable each word becomes once GPT-2 recognises it.' },
    question: 'Which tokens surprised GPT-2 most in your own writing, and are they the ones a human reader would find surprising?',
  },
  tokens: {
    headline: { figure: 'languages' },
    tryIt: { options: { text: 'Substack substack SUBSTACK' }, why: 'the same word in three casings costs a different number of tokens.' },
    question: 'If models are billed per token, who pays more for the same sentence, and is that fair?',
  },
  logits: {
    headline: { figure: 'logit-boost' },
    tryIt: { options: { temperature: 2, top_k: 20 }, why: 'hotter sampling among the 20 likeliest tokens: how long do the continuations stay sensible?' },
    question: 'Greedy decoding always takes the likeliest token. Why does that so often produce dull or repetitive text?',
  },
  embeddings: {
    headline: { figure: 'mixture' },
    tryIt: { options: { word1: 'cat', word2: 'dog' }, why: 'two everyday animals: are their embeddings closer than "hello" and "world"?' },
    question: 'If similar words point in similar directions, what does it mean for a model to "mix" two embeddings halfway?',
  },
  hidden: {
    headline: { figure: 'block-scaling' },
    tryIt: { options: { scale: 0 }, why: "switching off one block's output at a time shows which blocks the prediction really leans on." },
    question: 'Why might the hidden states of different tokens grow more alike in deeper layers, and is that a problem for the model?',
  },
  attention: {
    headline: { figure: 'head-lesion' },
    tryIt: { options: { layer: 0 }, why: "the first block's queries, keys and scores look nothing like the middle block's." },
    question: 'Silencing a single head barely changes most predictions. What does that tell us about how attention work is shared?',
  },
  mlp: {
    headline: { figure: 'mlp-imputation' },
    tryIt: { options: { fraction: 0.5 }, why: 'mean-impute half of the MLP units instead of 8% and see how far the prediction falls.' },
    question: 'If knocking out the strongest MLP units barely moves a prediction, where does the model keep what it knows?',
  },
  slope: {
    headline: { figure: 'scaling' },
    tryIt: { options: { scale_x: 10 }, why: 'a fifth panel with x stretched tenfold: the slope drops to a tenth while r does not move.' },
    question: 'A slope carries the units of the data and a correlation does not. Which would you report to a reader who knows neither?',
  },
  smooth: {
    headline: { figure: 'largest-prime' },
    tryIt: { options: { max_n: 50000 }, why: 'five times as many numbers: 31 takes over from 19 as the most common largest prime factor.' },
    question: 'Why would an FFT of 1,000,000 samples be fast and one of 1,000,003 samples slow?',
  },
  kaprekar: {
    headline: { figure: 'transitions' },
    tryIt: { options: { digits: 3 }, why: 'three-digit numbers have their own kink, at 495: fewer steps, a smaller transition matrix.' },
    question: 'Every four-digit number (with two different digits) falls into 6174. Is that a deep fact about numbers, or an accident of base ten?',
  },
  'lstsq-theory': {
    headline: { figure: 'regression-picture' },
    tryIt: { options: { y: '5,6.5,6,8,2' }, why: 'give the happiest punk fan an unhappy score: one outlier tilts the whole line, and the residuals still sum to zero.' },
    question: 'Why are the residuals of a least-squares fit always at right angles to the predictors, and what would it mean if they were not?',
  },
  'lstsq-simulation': {
    headline: { figure: 'r2-sweep' },
    tryIt: { options: { useless: 10, sweep_min_n: 15 }, why: 'ten pure-noise predictors join the sweep: R² climbs at small samples while adjusted R² refuses to follow.' },
    question: 'Adding a useless predictor never lowers R². Why, and how does adjusted R² push back?',
  },
  'lstsq-data': {
    headline: { figure: 'model-fit' },
    tryIt: { options: { log_outcome: false, log_predictor: false }, why: 'the same model on the untransformed price and floor area: how do R², the t values and the residual plots change?' },
    question: 'A predictor can be "significant" and still explain almost nothing. How would you tell the two apart in a regression table?',
  },
  'lstsq-gpt2': {
    headline: { figure: 'betas' },
    tryIt: { options: { alpha: 0.01 }, why: 'a stricter significance level: in which blocks do the t-1 and t-2 terms still count as significant?' },
    question: 'If a simple token feature predicts a block\'s attention output, does that mean the block "uses" that feature?',
  },
  ci: {
    headline: { figure: 'ci-vs-sd' },
    tryIt: { options: { conf_level: 0.99 }, why: 'every interval widens, and the share of repeated intervals that cover the true mean climbs from about 95% to about 99%.' },
    question: 'Is "there is a 95% chance the true value is in this interval" right or wrong? How would you say it instead?',
  },
  dependence: {
    headline: { figure: 'mi-examples' },
    tryIt: { options: { columns: 'Rented Bike Count,Hour,Temperature(°C),Humidity(%)' }, why: 'adds the hour of the day to the bike data: rentals rise and fall through the day in a curve, not a line. Compare its covariance and mutual-information z-scores.' },
    question: 'Can you think of two variables with zero covariance that are nonetheless obviously related?',
  },
  curvefit: {
    headline: { figure: 'sigmoid' },
    tryIt: { options: { noise: 0.5 }, why: 'a quarter of the noise: watch the standard errors in the parameter tables shrink with it.' },
    question: 'How would you know that a nonlinear fit has found the best parameters rather than merely a good-looking local minimum?',
  },
  'rsa-words': {
    headline: { figure: 'rsa' },
    tryIt: { options: { words: 'sun, moon, star, chair, table, bed, apple, pear, lime' }, why: 'nine words in three groups: do both models draw the same three blocks in their similarity matrices?' },
    question: 'Two models can agree on which words are similar while storing them completely differently. Is that agreement meaningful?',
  },
  'rsa-qkv': {
    headline: { figure: 'layer-effects' },
    tryIt: { options: { qkv_token: -1 }, why: 'correlates the Q, K and V of the word itself instead of the " next" token every sentence shares.' },
    question: 'Queries, keys and values are three projections of the same hidden state. Why might their similarity structures differ?',
  },
  effdim: {
    headline: { figure: 'effective-dimensionality' },
    tryIt: { options: { threshold: 80 }, why: 'counts the components for 80% of the variance instead of 95%: does the gap between real and shuffled text stay?' },
    question: 'Shuffling the tokens of a text keeps every word but destroys the sentences. What should that do to the dimensionality of the hidden states?',
  },
  life: {
    headline: { figure: 'continuations' },
    tryIt: { options: { prompt: 'What is the secret to happiness?', samples: 3 }, why: 'three seeds, three answers to one question: how much of the wisdom is the model, and how much the dice?' },
    question: 'What kinds of advice or jokes does a small model get right, and what does that say about what it learned from its training text?',
  },
  kingqueen: {
    headline: { figure: 'analogies' },
    tryIt: { options: { more_analogies: 'father - man + woman' }, why: 'does "mother" come out on top only once the input words are taken off the list, as "queen" does?' },
    question: 'The famous analogy works only if the input words are left out of the answers. Is that a fair rule, or cheating?',
  },
  bias: {
    headline: { figure: 'masked' },
    tryIt: { options: { sentence: 'The nurse informed the client that [MASK] would need more time.' }, why: 'the same sentence about a nurse: does the he/she balance flip with the occupation?' },
    question: 'If a model\'s he/she probabilities mirror occupational statistics, is the model biased or merely accurate about its training text?',
  },
  debias: {
    headline: { figure: 'bias-by-layer' },
    tryIt: { options: { mix: 0.25 }, why: 'a quarter "he", three quarters "she": does each layer tip the prediction the other way?' },
    question: 'If swapping one layer\'s state changes the gendered prediction, is that where the bias "lives"?',
  },
  wav2vec2: {
    question: 'A speech model never sees letters until its last layer. Where along the way do you think sounds become words?',
  },
  rvq: {
    question: 'Each codebook codes what the previous ones missed. How many would you need before you stop hearing a difference?',
  },
  reve: {
    question: 'What would it take for a transformer trained on EEG to learn something a neuroscientist did not already know?',
  },
};

/** The content for a post; every catalog post has an entry (test/digest checks). */
export function digestContent(postId: string): PostDigestContent {
  return DIGEST_CONTENT[postId] ?? { question: `What would you like to try first from "${POSTS.find((p) => p.id === postId)?.title ?? postId}"?` };
}

/** The rotation: every post of the catalog, in catalog order (the LLM series reads 1/6 → 6/6). */
export const ROTATION: readonly string[] = POSTS.map((p) => p.id);
