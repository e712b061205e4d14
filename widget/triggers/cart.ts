// cart: a shopper comes back (a new session) and the cart still holds items. Decided once, at start.
import { scope } from './scope';
import type { Opts, TriggerFactory } from './types';

export const cart: TriggerFactory<Opts<'cart'>> = (_o, fire, env) => {
  const s = scope('cart', env, fire);
  if (env.newSession && env.cartItems > 0) s.fire();
  return s.stop;
};
