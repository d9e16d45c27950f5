/**
 * CURVE key helpers for `transportOptions` and the broker, re-exported from
 * `@xsmb/transport` so users of this package need no second import. See the
 * README, "Security".
 */
export {
  type ClientCurveOptions,
  type CurveKeyPair,
  generateKeyPair,
  type ServerCurveOptions,
} from '@xsmb/transport';
