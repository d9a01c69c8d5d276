/** Values the editor workspace's training fixtures and the training tests share. */

/** The prompt of the training project's samples, which the run panel must show. */
export const SAMPLE_PROMPT = 'Say hello to the team';

/** Model output that would be markup if the panel treated it as HTML. */
export const HTML_OUTPUT = '<img src=x onerror="document.title=1"><b>bold?</b>';
