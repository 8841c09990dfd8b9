/**
 * Transcript views of a session: the terminal view, Markdown, and text made safe for a
 * terminal.
 */
export { MarkdownWriter, renderMarkdown } from "./markdown_transcript.ts";
export { TranscriptWriter, wantsColour } from "./transcript.ts";
export { visible } from "./visible_text.ts";
