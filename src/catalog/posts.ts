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
  /** Why a post has no command, where it never will (shown by /posts). */
  noCommand?: string;
  /** Set when no post URL is known: `url` is then the Substack's home page, and this says so. */
  urlNote?: string;
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
    id: 'slope', section: 'data-science', hasAnalysis: true,
    title: "Correlation vs. best-fit line (regression)",
    url: "https://mikexcohen.substack.com/p/correlation-vs-best-fit-line-regression",
    notebook: "DSUnpacked/correlation_vs_slope.ipynb",
    summary: "A correlation coefficient and a regression slope both describe a straight-line relation, but only the slope carries the units of the data: rescale a variable and the slope changes while r stays put; slope = r·s_y/s_x ties them together.",
  },
  {
    id: 'smooth', section: 'data-science', hasAnalysis: true,
    title: "Smooth numbers",
    url: "https://mikexcohen.substack.com/p/smooth-numbers",
    notebook: "DSUnpacked/smooth_numbers.ipynb",
    summary: "Factor every integer up to ten thousand and keep its largest prime factor: the primes line the diagonal, numbers whose factors are all small are \"smooth\" (175 of them are 5-smooth), and the most common largest factor turns out to be 19.",
  },
  {
    id: 'kaprekar', section: 'data-science', hasAnalysis: true,
    title: "A kink in the universe at 6174",
    url: "https://mikexcohen.substack.com",
    urlNote: "No post URL is known for this notebook; the link goes to the Substack home page.",
    notebook: "DSUnpacked/kink6174.ipynb",
    summary: "Sort a four-digit number's digits descending and ascending, subtract, repeat: every number with at least two different digits reaches 6174 within seven steps. Counting the steps for all of them and tabulating how the step count of N relates to that of N + 1 turns a curiosity into a transition matrix and its eigenvalues.",
  },
  {
    id: 'lstsq-theory', section: 'data-science', hasAnalysis: true,
    title: "Least squares part 1 (guest post on The Palindrome)",
    url: "https://thepalindrome.org/p/the-anatomy-of-the-least-squares",
    notebook: "DSUnpacked/leastSquares_1.ipynb",
    summary: "Least squares as geometry: the best-fit coefficients come from the normal equations, the fitted values are the projection of the data onto the space the predictors span, and the residuals are what is left, at right angles to it.",
  },
  {
    id: 'lstsq-simulation', section: 'data-science', hasAnalysis: true,
    title: "Least squares part 2",
    url: "https://thepalindrome.org/p/the-anatomy-of-the-least-squares-ab5",
    notebook: "DSUnpacked/leastSquares_2.ipynb",
    summary: "Simulate data whose true coefficients you know and fit them back: noise, sample size and useless predictors change the estimates, R² and adjusted R² in ways that are easy to see when you control the truth.",
  },
  {
    id: 'lstsq-data', section: 'data-science', hasAnalysis: true,
    title: "Least squares part 3: real data",
    url: "https://thepalindrome.org/p/the-anatomy-of-the-least-squares-818",
    notebook: "DSUnpacked/leastSquares_3.ipynb",
    summary: "A regression on real building data (floor area, interest rate and a consumer price index predicting sale price): look at the raw data in a pair plot, log-transform and split the skewed variables, drop the rows beyond three standard deviations, then read the OLS table with its t and p values, R² and F test, and check the residuals.",
  },
  {
    id: 'lstsq-gpt2', section: 'data-science', hasAnalysis: true,
    title: "Least squares part 4: modeling GPT activations",
    url: "https://thepalindrome.org/p/the-anatomy-of-the-least-squares-a3d",
    notebook: "DSUnpacked/leastSquares_4.ipynb",
    summary: "Regression as a microscope for a language model: run a Wikipedia paragraph through GPT-2, take the log norm of each token's attention output in every block, predict it from the two tokens before it by least squares, and read the betas, t and p values block by block.",
  },
  {
    id: 'ci', section: 'data-science', hasAnalysis: true,
    title: "Confidence intervals (parts 1–3)",
    url: "https://mikexcohen.substack.com/p/confidence-intervals-13-interpretation",
    notebook: "DSUnpacked/confidenceIntervals.ipynb",
    summary: "What a 95% confidence interval does and does not promise, shown by simulation: t-based intervals against the standard deviation at two sample sizes and across many, how often repeated intervals cover the true mean, bootstrap percentile intervals for a mean and a standard deviation, and all of it on real clinical data (Arrhythmia: outlier cleaning and a bootstrapped correlation).",
  },
  {
    id: 'dependence', section: 'data-science', hasAnalysis: true,
    title: "Two-variable dependence, parts 1–3",
    url: "https://mikexcohen.substack.com/p/two-variable-dependence-part-1-covariance",
    notebook: "DSUnpacked/covariance_and_mutualInformation.ipynb",
    summary: "Covariance measures linear co-variation and depends on the units; mutual information (from histograms, or from k-nearest neighbours as scikit-learn estimates it) measures any dependence at all. Computed side by side on simulated data and on the Seoul bike-sharing data, with split halves and permutation tests, they separate \"unrelated\" from \"related, but not in a straight line\".",
  },
  {
    id: 'curvefit', section: 'data-science', hasAnalysis: true,
    title: "Nonlinear curve-fitting to data and distributions",
    url: "https://mikexcohen.substack.com/p/nonlinear-curve-fitting-to-data-and",
    notebook: "DSUnpacked/curve_fitting.ipynb",
    summary: "Fitting a curve that is not a line means searching parameter space for the smallest squared error (Levenberg–Marquardt); the fit also gives each parameter an uncertainty, and the same machinery fits distributions to histograms.",
  },
  {
    id: 'rsa-words', section: 'llm', hasAnalysis: true,
    title: "Explore LLM word representations using similarity analysis, part 1 (The Palindrome)",
    url: "https://thepalindrome.org/p/explore-llm-word-representations",
    notebook: "MLonLLMs/Cohen_RSA_LLMs_part1.ipynb",
    summary: "Representational similarity analysis: build a word-by-word similarity matrix of embeddings in two models (BERT and GPT-2) and correlate the matrices, to ask whether the models organise the same words the same way.",
  },
  {
    id: 'rsa-qkv', section: 'llm', hasAnalysis: true,
    title: "Explore LLM word representations using similarity analysis, part 2",
    url: "https://thepalindrome.org/p/explore-llm-word-representations-c57",
    notebook: "MLonLLMs/Cohen_RSA_LLMs_part2.ipynb",
    summary: "The same similarity analysis inside GPT-2's attention: words of three categories end one sentence; in every block, correlate the word-similarity matrices of the queries, keys and values (RSA), and measure with Cohen's d how much more alike words of one category are than words of different ones.",
  },
  {
    id: 'effdim', section: 'llm', hasAnalysis: true,
    title: "Effective dimensionality analysis of LLM transformers",
    url: "https://mikexcohen.substack.com/p/effective-dimensionality-analysis",
    notebook: "MLonLLMs/effectiveDimensionality_GPT2xl.ipynb",
    summary: "How many dimensions do hidden states really use? The singular values of each layer's mean-centred activations over 1024 tokens of Alice in Wonderland, for the real and for the token-shuffled text, give an effective dimensionality (components for 95% of the variance) that changes through the model.",
  },
  {
    id: 'life', section: 'llm', hasAnalysis: true,
    title: "Lessons on life and humor from GPT2",
    url: "https://mikexcohen.substack.com/p/lessons-on-life-and-humor-from-gpt2",
    notebook: "MLonLLMs/lifeLessons_from_GPT2.ipynb",
    summary: "Prompting GPT-2 for advice and jokes, with top-k and nucleus sampling, is a light-hearted way to see what a small language model has and has not learned.",
  },
  {
    id: 'kingqueen', section: 'llm', hasAnalysis: true,
    title: "\"King − man + woman = queen\" is fake news",
    url: "https://mikexcohen.substack.com/p/king-man-woman-queen-is-fake-news",
    notebook: "MLonLLMs/kingMinusManPlusWoman.ipynb",
    summary: "The famous embedding arithmetic only works once you exclude the input words from the answers; checked honestly, the nearest vector to king − man + woman is usually \"king\" itself.",
  },
  {
    id: 'bias', section: 'llm', hasAnalysis: true,
    title: "Gender bias in large language models, part 1",
    url: "https://mikexcohen.substack.com/p/gender-bias-in-large-language-models",
    notebook: "MLonLLMs/gender_bias_in_LLMs_part1.ipynb",
    summary: "Ask a masked language model to fill in \"he\" or \"she\" in sentences about occupations, and its probabilities show the associations it learned from its training text.",
  },
  {
    id: 'debias', section: 'llm', hasAnalysis: true,
    title: "Gender bias in large language models, part 2",
    url: "https://mikexcohen.substack.com",
    urlNote: "No post URL is known for part 2; the link goes to the Substack home page.",
    notebook: "MLonLLMs/gender_bias_in_LLMs_part2.ipynb",
    summary: "Replace one layer's hidden state at the masked word with a mix of the model's own \"he\" and \"she\" states, layer by layer, and watch where the gendered prediction is decided.",
  },
  {
    id: 'wav2vec2', section: 'llm', hasAnalysis: false,
    title: "Exploring the wav2vec2 model",
    url: "https://mikexcohen.substack.com/p/exploring-the-wav2vec2-model",
    notebook: "MLonLLMs/wav2vec2_explorations.ipynb",
    summary: "A speech model from the inside: a convolutional encoder turns the waveform into features, a transformer mixes them, and a CTC head turns them into letters; every stage's activations can be looked at.",
  },
  {
    id: 'rvq', section: 'llm', hasAnalysis: false,
    title: "Exploring a residual vector quantization model",
    url: "https://mikexcohen.substack.com/p/exploring-a-residual-vector-quantization",
    notebook: "MLonLLMs/RVQ_explorations.ipynb",
    summary: "A neural audio codec compresses sound into a stack of codebooks, each coding what the previous ones missed; decoding with more and more codebooks lets you hear the reconstruction improve.",
  },
  {
    id: 'reve', section: 'llm', hasAnalysis: false,
    title: "Exploring the REVE EEG transformer",
    url: "https://mikexcohen.substack.com/p/exploring-the-reve-eeg-transformer",
    notebook: "MLonLLMs/reve_investigations.ipynb",
    noCommand: 'The notebook loads the REVE model with custom code from its Hugging Face repository, and the weights are gated (each user must request access), so the bot cannot run it; read the post and the notebook instead.',
    summary: "A transformer trained on EEG recordings: how brain signals are tokenised and what the model's representations look like.",
  },
];

export function findPost(id: string): Post | undefined {
  return POSTS.find((p) => p.id === id);
}
