/**
 * Response items (SPEC §2.4): the zod schema of every persisted type and the persistence
 * policy. Extra fields are kept as they were. Pure: no I/O.
 */
import { z } from "zod";
import { formatIssue } from "./issue_path.ts";
import { isObject, MAX_NESTING, nestsDeeperThan } from "../base/mod.ts";
import { guardOf, refinedBy } from "./schema_guard.ts";

const isPresent = (value: unknown) => value !== undefined;

/** The field a content part of type `type` must hold as a string, if any. */
function requiredText(type: string): "text" | "image_url" | null {
  if (type === "input_text" || type === "output_text") return "text";
  return type === "input_image" ? "image_url" : null;
}

/** Whether a content part (already `{type: string}`) holds the string its type requires. */
function partHasText(part: unknown): boolean {
  const { type } = part as { type: string };
  const field = requiredText(type);
  return field === null || typeof (part as Record<string, unknown>)[field] === "string";
}

const ContentPart = refinedBy(
  z.looseObject({ type: z.string() }).superRefine((part, ctx) => {
    const field = requiredText(part.type);
    if (field === null || typeof part[field] === "string") return;
    ctx.addIssue({
      code: "invalid_type",
      expected: "string",
      path: [field],
      input: part[field],
      message: `${field} must be a string`,
    });
  }),
  partHasText,
);

/**
 * A tool's output: a string, an array of content parts, or `{content, success?}`. Checked by
 * its shape first, so that a message names the field at fault (`output[0].type`,
 * `output.success`) rather than only that no shape fits.
 */
function isToolOutput(value: unknown): boolean {
  if (typeof value === "string") return true;
  if (Array.isArray(value)) return value.every(guardOf(ContentPart));
  if (value === null || typeof value !== "object") return false;
  const success = (value as Record<string, unknown>).success;
  return success === undefined || success === null || typeof success === "boolean";
}

const FunctionCallOutputPayload = refinedBy(
  z.unknown().superRefine((value, ctx) => {
    if (typeof value === "string") return;
    if (Array.isArray(value)) {
      value.forEach((part, index) => {
        const parsed = ContentPart.safeParse(part);
        if (parsed.success) return;
        for (const issue of parsed.error.issues) {
          ctx.addIssue({ ...issue, path: [index, ...issue.path] } as never);
        }
      });
      return;
    }
    if (value !== null && typeof value === "object") {
      const success = (value as Record<string, unknown>).success;
      if (success !== undefined && success !== null && typeof success !== "boolean") {
        ctx.addIssue({
          code: "invalid_type",
          expected: "boolean",
          path: ["success"],
          input: success,
          message: `expected boolean, got ${typeof success}`,
        });
      }
      return;
    }
    ctx.addIssue({
      code: "custom",
      input: value,
      message: `expected a string, an array of content parts or {content, success?}, got ${
        value === null ? "null" : typeof value
      }`,
    });
  }),
  isToolOutput,
);

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
    output: refinedBy(
      z.unknown().refine(isPresent, "required value is missing"),
      isPresent,
    ),
  }),
  web_search_call: z.looseObject({ type: z.literal("web_search_call") }),
} as const;

/** Accept-only fast checks derived from {@linkcode ItemSchemas}: true means the schema accepts. */
const itemGuards = Object.fromEntries(
  Object.entries(ItemSchemas).map(([type, schema]) => [type, guardOf(schema)]),
) as Record<PersistedType, (value: unknown) => boolean>;

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
  return isObject(value) && typeof value.type === "string";
}

/**
 * Checks one item: any object with a string `type` is an item; a persisted type must also
 * pass its schema. `where` prefixes the field path of the message (`items[2]`). The item is
 * returned as given (not copied): this runs once per line when a rollout loads.
 * `nestingChecked` says the caller already knows the item nests at most MAX_NESTING levels
 * (a line too short to nest deeper, an op stream line already scanned).
 */
export function checkItem(
  value: unknown,
  where: string,
  options: { nestingChecked?: boolean } = {},
): ItemCheck {
  let item: ResponseItem;
  if (isItemShaped(value)) item = value;
  else {
    const base = ResponseItem.safeParse(value);
    if (!base.success) return { ok: false, message: formatIssue(base.error, value, where) };
    item = base.data;
  }
  if (options.nestingChecked !== true && nestsDeeperThan(item, MAX_NESTING)) {
    return { ok: false, message: `${where}: nested deeper than ${MAX_NESTING} levels` };
  }
  if (!isPersisted(item.type)) return { ok: true, item, persisted: false };
  if (itemGuards[item.type](item)) return { ok: true, item, persisted: true };
  const parsed = ItemSchemas[item.type].safeParse(item);
  if (!parsed.success) return { ok: false, message: formatIssue(parsed.error, item, where) };
  return { ok: true, item, persisted: true };
}
