/**
 * Response items (SPEC §2.4): the zod schema of every persisted type and the persistence
 * policy. Extra fields are kept as they were. Pure: no I/O.
 */
import { z } from "zod";
import { formatIssue } from "./issue_path.ts";
import { MAX_NESTING, nestsDeeperThan } from "./json_depth.ts";

const ContentPart = z.looseObject({ type: z.string() }).superRefine((part, ctx) => {
  if (
    (part.type === "input_text" || part.type === "output_text") && typeof part.text !== "string"
  ) {
    ctx.addIssue({
      code: "invalid_type",
      expected: "string",
      path: ["text"],
      input: part.text,
      message: "text must be a string",
    });
  }
  if (part.type === "input_image" && typeof part.image_url !== "string") {
    ctx.addIssue({
      code: "invalid_type",
      expected: "string",
      path: ["image_url"],
      input: part.image_url,
      message: "image_url must be a string",
    });
  }
});

const FunctionCallOutputPayload = z.union([
  z.string(),
  z.array(ContentPart),
  z.looseObject({ content: z.unknown(), success: z.boolean().nullish() }),
], { error: "expected a string, an array of content parts or {content, success?}" });

/** One schema per persisted item type; the keys are the persisted types. */
export const ItemSchemas = {
  message: z.looseObject({
    type: z.literal("message"),
    role: z.string(),
    content: z.array(ContentPart),
  }),
  function_call: z.looseObject({
    type: z.literal("function_call"),
    name: z.string(),
    arguments: z.string(),
    call_id: z.string(),
  }),
  function_call_output: z.looseObject({
    type: z.literal("function_call_output"),
    call_id: z.string(),
    output: FunctionCallOutputPayload,
  }),
  local_shell_call: z.looseObject({
    type: z.literal("local_shell_call"),
    id: z.string().nullish(),
    call_id: z.string().nullish(),
    status: z.enum(["completed", "in_progress", "incomplete"]),
    action: z.looseObject({
      type: z.literal("exec"),
      command: z.array(z.string()),
      timeout_ms: z.number().nullish(),
      working_directory: z.string().nullish(),
      env: z.record(z.string(), z.string()).nullish(),
      user: z.string().nullish(),
    }),
  }),
  custom_tool_call: z.looseObject({
    type: z.literal("custom_tool_call"),
    call_id: z.string(),
    name: z.string(),
    input: z.string(),
  }),
  custom_tool_call_output: z.looseObject({
    type: z.literal("custom_tool_call_output"),
    call_id: z.string(),
    output: z.unknown().refine((v) => v !== undefined, "required value is missing"),
  }),
  web_search_call: z.looseObject({ type: z.literal("web_search_call") }),
} as const;

/** A type whose items are written to disk. */
export type PersistedType = keyof typeof ItemSchemas;

/** Any response item: an object with a string `type`, other fields kept as they are. */
export const ResponseItem = z.looseObject({ type: z.string() });
export type ResponseItem = z.infer<typeof ResponseItem>;

/** Whether items of this type are persisted (SPEC §2.4 persistence policy). */
export function isPersisted(type: string): type is PersistedType {
  return Object.hasOwn(ItemSchemas, type);
}

/** The outcome of checking one item against its schema. */
export type ItemCheck =
  | { ok: true; item: ResponseItem; persisted: boolean }
  | { ok: false; message: string };

function isItemShaped(value: unknown): value is ResponseItem {
  return typeof value === "object" && value !== null && !Array.isArray(value) &&
    typeof (value as { type?: unknown }).type === "string";
}

/**
 * Checks one item: any object with a string `type` is an item; a persisted type must also
 * pass its schema. `where` prefixes the field path of the message (`items[2]`). The item is
 * returned as given (not copied): this runs once per line when a rollout loads. `textLength`,
 * the length of the JSON text the value was parsed from, lets short lines skip the depth walk.
 */
export function checkItem(
  value: unknown,
  where: string,
  options: { textLength?: number } = {},
): ItemCheck {
  let item: ResponseItem;
  if (isItemShaped(value)) item = value;
  else {
    const base = ResponseItem.safeParse(value);
    if (!base.success) return { ok: false, message: formatIssue(base.error, value, where) };
    item = base.data;
  }
  // Each level of nesting takes two characters, so JSON text this short cannot be too deep.
  const mayBeDeep = options.textLength === undefined || options.textLength > 2 * MAX_NESTING;
  if (mayBeDeep && nestsDeeperThan(item, MAX_NESTING)) {
    return { ok: false, message: `${where}: nested deeper than ${MAX_NESTING} levels` };
  }
  if (!isPersisted(item.type)) return { ok: true, item, persisted: false };
  const parsed = ItemSchemas[item.type].safeParse(item);
  if (!parsed.success) return { ok: false, message: formatIssue(parsed.error, item, where) };
  return { ok: true, item, persisted: true };
}
