/** Composes interceptors around a terminal step; the first in the list is the outermost. */
export function composeChain<Next>(
  interceptors: readonly ((next: Next) => Next)[],
  terminal: Next,
): Next {
  let next = terminal;
  for (let i = interceptors.length - 1; i >= 0; i--)
    next = (interceptors[i] as (next: Next) => Next)(next);
  return next;
}
