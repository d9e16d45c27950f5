/**
 * The base of every xSMB error class: a `code` field, and an `instanceof`
 * that holds across duplicate installs of a package (two copies of
 * `@xsmb/pubsub` in one `node_modules` tree each have their own class
 * object, so plain `instanceof` would say no).
 */

// Symbol.for, so that every copy of this package shares the brand.
const BASE_BRAND = Symbol.for('@xsmb/base.CodedError');

/** A class that may carry its own brand (see {@link CodedError.brand}). */
interface Branded {
  readonly brand?: symbol;
}

/** The brand `ctor` checks for: its own, else the nearest ancestor's. */
function brandOf(ctor: Branded): symbol {
  return (ctor as { brand?: symbol }).brand ?? BASE_BRAND;
}

/**
 * Extend it once per layer, with a string or numeric code type and a brand:
 *
 * @example
 * export class PubSubError extends CodedError<PubSubErrorCode> {
 *   static override readonly brand: symbol = Symbol.for('@xsmb/pubsub.PubSubError');
 *   override readonly name = 'PubSubError';
 * }
 * new PubSubError('CLOSED', 'publisher is closed') instanceof PubSubError; // true, in any copy
 * PubSubError.is(value); // the same test, as a type guard
 */
export abstract class CodedError<C extends string | number = string> extends Error {
  /**
   * The brand of this class, shared by every copy of the package that
   * defines it: `Symbol.for('<package>.<Class>')`. A subclass that does not
   * declare one answers `instanceof` like its parent.
   */
  static readonly brand: symbol = BASE_BRAND;

  /** What went wrong; each subclass documents its codes. */
  readonly code: C;

  /**
   * @param code what went wrong
   * @param message a description for people (logs)
   * @param options `cause`: the underlying error, if any
   */
  constructor(code: C, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    // Every class of the chain marks the instance, so that `instanceof` a
    // parent holds too. An own, non-enumerable property: it does not show in
    // logs or JSON.
    for (
      let ctor: Function | null = new.target;
      ctor !== null && ctor !== Function.prototype;
      ctor = Object.getPrototypeOf(ctor) as Function | null
    ) {
      if (Object.hasOwn(ctor, 'brand')) {
        Object.defineProperty(this, (ctor as Branded).brand!, { value: true });
      }
    }
  }

  /** `instanceof` that also holds across duplicate installs of the subclass's package. */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the subclass `instanceof` asks about.
    return typeof value === 'object' && value !== null && brandOf(this) in value;
  }

  /**
   * `value instanceof ThisClass`, as a type guard.
   *
   * @example
   * if (PubSubError.is(e) && e.code === 'TIMEOUT') retry();
   */
  static is<E>(this: abstract new (...args: never[]) => E, value: unknown): value is E {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the subclass `is` was called on.
    return typeof value === 'object' && value !== null && brandOf(this as Branded) in value;
  }
}
