/**
 * The ground floor: the error class, JSON text and depth helpers, the line splitter and line
 * count, byte helpers, text made safe for a terminal, the version. Imports no other folder.
 */
export { concatBytes } from "./bytes.ts";
export {
  BadQuery,
  describe,
  errnoOf,
  ERROR_CODES,
  type ErrorCode,
  ioError,
  isSystemError,
  plainError,
  RolloutError,
} from "./errors.ts";
export { isObject } from "./is_object.ts";
export { MAX_NESTING, nestingDepth, nestsDeeperThan } from "./json_depth.ts";
export { parseJson } from "./json_text.ts";
export { countLines } from "./line_count.ts";
export { type BadLineReason, byteLength, type LineSink, LineSplitter } from "./line_splitter.ts";
export { hasCjk, isCjk, quotePunctuatedTerms, splitCjk } from "./search_terms.ts";
export { Utf8Buffer, type Utf8Writer } from "./utf8_buffer.ts";
export { thousands } from "./thousands.ts";
export { VERSION } from "./version.ts";
export { visible, wantsColour } from "./visible_text.ts";
