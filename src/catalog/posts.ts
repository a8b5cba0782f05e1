// The catalog of posts (DESIGN.md §2). Summaries are in the project's own words.
export type Section = 'llm' | 'data-science';

export interface Post {
  /** Slash-command name without the slash, or a slug for posts without an analysis yet. */
  id: string;
  title: string;
  url: string;
  /** Path of the notebook inside github.com/mikexcohen/Substack. */
  notebook: string;
  section: Section;
  /** True when `lab run <id>` / `/<id>` exists for this post. */
  hasAnalysis: boolean;
  summary: string;
}

export const NOTEBOOK_BASE = 'https://github.com/mikexcohen/Substack/blob/main/';
export const notebookUrl = (post: Pick<Post, 'notebook'>): string => NOTEBOOK_BASE + post.notebook;

export const SECTION_TITLES: Record<Section, string> = {
  llm: 'Dissecting LLMs with ML',
  'data-science': 'Data science, unpacked',
};

export const POSTS: readonly Post[] = [
  {
    id: 'correlation', section: 'data-science', hasAnalysis: true,
    title: 'Correlation vs. cosine similarity',
    url: 'https://mikexcohen.substack.com/p/correlation-vs-cosine-similarity',
    notebook: 'DSUnpacked/Correlation_vs_cosineSimilarity.ipynb',
    summary: 'Pearson correlation is cosine similarity after both variables are mean-centred. With means near zero the two agree; shift one variable away from zero and cosine similarity drifts while correlation stays put.',
  },
  {
    id: 'zipf', section: 'data-science', hasAnalysis: true,
    title: "Zipf's law in famous fiction: characters and GPT4 tokens",
    url: 'https://mikexcohen.substack.com/p/zipfs-law-in-famous-fiction-characters',
    notebook: 'DSUnpacked/ZipfsLaw_charactersTokens.ipynb',
    summary: "Count how often each character and each GPT-4 token appears in ten classic novels, sort by frequency and plot on log–log axes: the straight-ish lines are Zipf's law, and their slopes are surprisingly alike from book to book.",
  },
  {
    id: 'fourier', section: 'data-science', hasAnalysis: true,
    title: 'The Fourier transform, explained with for-loops',
    url: 'https://mikexcohen.substack.com/p/the-fourier-transform-explained-with',
    notebook: 'DSUnpacked/Fourier_with_forloops.ipynb',
    summary: 'The Fourier transform is a loop of dot products between a signal and complex sine waves. Real cosines alone miss components depending on phase; complex waves capture amplitude regardless of phase.',
  },
  {
    id: 'heatmap', section: 'llm', hasAnalysis: true,
    title: 'Drawing text heatmaps to visualize LLM calculations',
    url: 'https://mikexcohen.substack.com/p/drawing-text-heatmaps-to-visualize',
    notebook: 'MLonLLMs/textHeatmaps_GPT2.ipynb',
    summary: 'Colour each token of a text by how well GPT-2 predicted it: a text heatmap turns a column of log-probabilities into something you can read at a glance.',
  },
  {
    id: 'tokens', section: 'llm', hasAnalysis: true,
    title: 'LLM breakdown 1/6: Tokenization (words to integers)',
    url: 'https://mikexcohen.substack.com/p/llm-breakdown-16-tokenization-words',
    notebook: 'MLonLLMs/LLMbreakdown_1_tokens.ipynb',
    summary: 'Before a language model sees text, a tokenizer chops it into pieces and maps each to an integer. Spaces, capitals and the language you write in all change how many tokens a text costs.',
  },
  {
    id: 'logits', section: 'llm', hasAnalysis: true,
    title: 'LLM breakdown 2/6: Logits and next-token prediction',
    url: 'https://mikexcohen.substack.com/p/llm-breakdown-26-logits-and-next',
    notebook: 'MLonLLMs/LLMbreakdown_2_logits.ipynb',
    summary: 'At every position GPT-2 outputs one score (logit) per vocabulary entry. Softmax turns them into probabilities; sampling from them, with temperature and top-k, turns them into text.',
  },
  {
    id: 'embeddings', section: 'llm', hasAnalysis: true,
    title: 'LLM breakdown 3/6: Embeddings',
    url: 'https://mikexcohen.substack.com/p/llm-breakdown-36-embeddings',
    notebook: 'MLonLLMs/LLMbreakdown_3_embeddings.ipynb',
    summary: 'Each token id indexes a row of the embedding matrix: a vector that places the token in a high-dimensional space. Similar tokens point in similar directions, and mixing two embeddings mixes what the model predicts.',
  },
  {
    id: 'hidden', section: 'llm', hasAnalysis: true,
    title: 'LLM breakdown 4/6: Transformer outputs (hidden states)',
    url: 'https://mikexcohen.substack.com/p/llm-breakdown-46-transformer-outputs',
    notebook: 'MLonLLMs/LLMbreakdown_4_hiddenStates.ipynb',
    summary: 'Each transformer block adds its output to the residual stream. Comparing hidden states across layers and tokens shows how representations grow more alike with depth, and scaling a block shows how much the prediction leans on it.',
  },
  {
    id: 'attention', section: 'llm', hasAnalysis: true,
    title: 'LLM breakdown 5/6: Attention',
    url: 'https://mikexcohen.substack.com/p/llm-breakdown-56-attention',
    notebook: 'MLonLLMs/LLMbreakdown_5_attention.ipynb',
    summary: 'Queries, keys and values; scaled dot products; softmax. Looking at their distributions layer by layer, and silencing one head at a time, shows what attention contributes to a prediction.',
  },
  {
    id: 'mlp', section: 'llm', hasAnalysis: true,
    title: 'LLM breakdown 6/6: MLP',
    url: 'https://mikexcohen.substack.com/p/llm-breakdown-66-mlp',
    notebook: 'MLonLLMs/LLMbreakdown_6_MLP.ipynb',
    summary: 'The MLP expands each token four-fold, bends it with GELU and projects it back. A non-linear expansion makes separable what was not, and knocking out the strongest MLP units shows how much a prediction depends on them.',
  },
  {
    id: 'correlation-vs-slope', section: 'data-science', hasAnalysis: false,
    title: 'Correlation vs. best-fit line',
    // The design names no post URL for this one yet; the archive lists it.
    url: 'https://mikexcohen.substack.com/archive',
    notebook: 'DSUnpacked/correlation_vs_slope.ipynb',
    summary: 'A correlation coefficient and a regression slope both describe a linear relation, but only the slope carries the units of the data; standardise both variables and they coincide.',
  },
  {
    id: 'covariance-mutual-information', section: 'data-science', hasAnalysis: false,
    title: 'Two-variable dependence: covariance and mutual information',
    url: 'https://mikexcohen.substack.com/p/two-variable-dependence-part-1-covariance',
    notebook: 'DSUnpacked/covariance_and_mutualInformation.ipynb',
    summary: 'Covariance measures linear co-variation; mutual information measures any dependence at all. Together they separate "unrelated" from "related, but not in a straight line".',
  },
  {
    id: 'curve-fitting', section: 'data-science', hasAnalysis: false,
    title: 'Nonlinear curve-fitting',
    url: 'https://mikexcohen.substack.com/p/nonlinear-curve-fitting-to-data-and',
    notebook: 'DSUnpacked/curve_fitting.ipynb',
    summary: 'Fitting a curve that is not a line means searching parameter space for the smallest error; starting points, local minima and over-fitting are the practical traps.',
  },
  {
    id: 'confidence-intervals', section: 'data-science', hasAnalysis: false,
    title: 'Confidence intervals',
    url: 'https://mikexcohen.substack.com/p/confidence-intervals-13-interpretation',
    notebook: 'DSUnpacked/confidenceIntervals.ipynb',
    summary: 'What a 95% confidence interval does and does not promise, shown by simulation: repeat the experiment many times and count how often the interval covers the true value.',
  },
  {
    id: 'smooth-numbers', section: 'data-science', hasAnalysis: false,
    title: 'Smooth numbers',
    url: 'https://mikexcohen.substack.com/p/smooth-numbers',
    notebook: 'DSUnpacked/smooth_numbers.ipynb',
    summary: 'Numbers whose prime factors are all small are "smooth"; they are why some FFT lengths are fast and others slow, and they thin out in a predictable way.',
  },
  {
    id: 'king-man-woman-queen', section: 'llm', hasAnalysis: false,
    title: '"King - man + woman = queen" is fake news',
    url: 'https://mikexcohen.substack.com/p/king-man-woman-queen-is-fake-news',
    notebook: 'MLonLLMs/kingMinusManPlusWoman.ipynb',
    summary: 'The famous embedding arithmetic only works once you exclude the input words from the answers; checked honestly on GPT-2 embeddings, the nearest vector is usually "king" itself.',
  },
  {
    id: 'life-lessons-gpt2', section: 'llm', hasAnalysis: false,
    title: 'Lessons on life and humor from GPT2',
    url: 'https://mikexcohen.substack.com/p/lessons-on-life-and-humor-from-gpt2',
    notebook: 'MLonLLMs/lifeLessons_from_GPT2.ipynb',
    summary: 'Prompting GPT-2 for advice and jokes, and looking at what it predicts, is a light-hearted way to see what a small language model has and has not learned.',
  },
];

export function findPost(id: string): Post | undefined {
  return POSTS.find((p) => p.id === id);
}
