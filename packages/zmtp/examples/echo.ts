// DEALER/ROUTER round trip over tcp. Run: npx tsx examples/echo.ts
import { createDealer, createRouter } from '../src/index.js'; // '@xsmb/zmtp' in your code

const router = createRouter({
  // Frames are views valid only during the call; router.send copies them out at once.
  onMessage: (routingId, frames) => router.send(routingId, frames),
});
const endpoint = await router.bind('tcp://127.0.0.1:0');

const dealer = createDealer({
  onMessage: async (frames) => {
    console.log('echo:', Buffer.from(frames[0]!).toString());
    await dealer.close();
    await router.close();
  },
});
dealer.connect(endpoint);
dealer.send([Buffer.from('hello')]);
