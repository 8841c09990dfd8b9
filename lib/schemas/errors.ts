/**
 * The error codes as a schema: the op stream's `error` events carry one (SPEC §4). The error
 * class and its helpers are in base/, which loads no zod.
 */
import { z } from "zod";
import { ERROR_CODES } from "../base/mod.ts";

export const ErrorCode = z.enum(ERROR_CODES);
export type ErrorCode = z.infer<typeof ErrorCode>;

export {
  describe,
  errnoOf,
  ioError,
  isSystemError,
  plainError,
  RolloutError,
} from "../base/mod.ts";
