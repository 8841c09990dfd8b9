/** The version `rollout --version` prints and metas record as `cli_version`. */
export const VERSION = "0.1.0";
