/**
 * Transcript views of a session: the terminal view, Markdown, the HTML page, and text made
 * safe for a terminal.
 */
export {
  type HtmlEnd,
  HtmlTranscriptWriter,
  type TokenTotals,
  type UsageSummary,
} from "./html_transcript.ts";
export { MarkdownWriter, renderMarkdown } from "./markdown_transcript.ts";
export { hideFolded, redactShown, SHOWN_REACH, shownPart, TranscriptWriter } from "./transcript.ts";
export { visible, wantsColour } from "../base/mod.ts";
