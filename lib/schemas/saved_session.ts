/**
 * SavedSession (the seed's name): a session's meta, items and state, as `load` returns it
 * and as the document format stores it (SPEC §2.2).
 */
import { z } from "zod";
import { ResponseItem } from "./items.ts";
import { SessionMeta, SessionState } from "./session_meta.ts";

/** `{session, items, state}`: the whole of a session. */
export const SavedSession = z.object({
  session: SessionMeta,
  items: z.array(ResponseItem),
  state: SessionState,
});
export type SavedSession = z.infer<typeof SavedSession>;

/** The document as read from disk: `state` is absent in the Codex TypeScript CLI's files. */
export const SessionDocument = z.object({
  session: z.looseObject({}),
  items: z.array(z.unknown()),
  state: z.looseObject({}).nullish(),
});
export type SessionDocument = z.infer<typeof SessionDocument>;
