// The playground's evaluation, in a dedicated worker so the page stays responsive however long
// it takes. One message in (a PlaygroundInput), one message out (its Outcome); the page ends a
// worker it no longer needs (a newer input, its time limit) by terminating it.
import { type PlaygroundInput, runPlayground } from "./playground-run.js";

self.onmessage = (event: MessageEvent<PlaygroundInput>) => {
  self.postMessage(runPlayground(event.data));
};
