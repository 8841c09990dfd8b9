/**
 * The op stream (`rollout proto`): submissions in, events out, the parse thread and the
 * sessions it hosts.
 */
export { runProto } from "./run_proto.ts";
