// A Redis connection whose failures surface on the commands they hit, not as ioredis' "Unhandled error
// event" printout: the one way iotpipe connects to Redis.
import { Redis } from "ioredis";

export function redisClient(url: string): Redis {
  const client = new Redis(url);
  client.on("error", () => {});
  return client;
}
