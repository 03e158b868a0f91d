// Reads oneliner recordings with the MCAP project's own readers (@mcap/core),
// not ours: the indexed reader (summary, chunk indexes, every message) for a
// complete file, the streaming reader for one cut off. Prints, per file, the
// reader used, what the summary says and the messages per topic, and exits
// with 1 if a file does not read or its counts disagree with its summary.
//
// Usage (docs/RECORDING.md): in a directory outside the repository,
//   npm install @mcap/core @mcap/nodejs @foxglove/wasm-zstd
//   node check.mjs FILE.mcap...
import { open, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

// The packages live where the script is run from, not beside the script.
const require = createRequire(pathToFileURL(process.cwd() + "/").href);
const { McapIndexedReader, McapStreamReader } = require("@mcap/core");
const { FileHandleReadable } = require("@mcap/nodejs");
const zstd = require("@foxglove/wasm-zstd");

await zstd.isLoaded;
const decompressHandlers = {
  zstd: (data, size) => zstd.decompress(data, Number(size)),
};

function count(map, topic, channel) {
  const entry = map.get(topic) ?? { messages: 0, channels: new Set(), encodings: new Set() };
  entry.messages += 1;
  entry.channels.add(channel.id);
  entry.encodings.add(channel.messageEncoding);
  map.set(topic, entry);
}

function print(perTopic) {
  for (const [topic, e] of [...perTopic].sort()) {
    console.log(`  ${topic}: ${e.messages} messages, ${e.channels.size} channel(s), ` +
                `message encoding ${[...e.encodings].join(", ")}`);
  }
}

async function indexed(path) {
  const handle = await open(path, "r");
  try {
    const reader = await McapIndexedReader.Initialize({
      readable: new FileHandleReadable(handle),
      decompressHandlers,
    });
    const stats = reader.statistics;
    const perTopic = new Map();
    let total = 0n;
    let last = -1n;
    for await (const m of reader.readMessages()) {
      const channel = reader.channelsById.get(m.channelId);
      if (m.logTime < last) throw new Error("messages out of log-time order");
      last = m.logTime;
      count(perTopic, channel.topic, channel);
      total += 1n;
    }
    const metadata = [];
    for await (const md of reader.readMetadata({ name: "oneliner.recording" })) {
      metadata.push(md);
    }
    console.log(`${path}: indexed reader (${reader.header.library}), ` +
                `${reader.chunkIndexes.length} chunks, ` +
                `${reader.channelsById.size} channels, ` +
                `statistics messageCount ${stats.messageCount}, read ${total}`);
    print(perTopic);
    for (const md of metadata) {
      const streams = JSON.parse(md.metadata.get("streams"));
      console.log(`  metadata ${md.name}: messages ${md.metadata.get("messages")}, ` +
                  `missed ${md.metadata.get("missed")}, streams ` +
                  Object.keys(streams).sort().join(" "));
    }
    if (stats.messageCount !== total) throw new Error("the count disagrees with the summary");
  } finally {
    await handle.close();
  }
}

async function streamed(path) {
  const reader = new McapStreamReader({ decompressHandlers });
  reader.append(new Uint8Array(await readFile(path)));
  const channels = new Map();
  const perTopic = new Map();
  let total = 0;
  let chunks = 0;
  let record;
  while ((record = reader.nextRecord()) !== undefined) {
    if (record.type === "Channel") channels.set(record.id, record);
    else if (record.type === "Message") {
      count(perTopic, channels.get(record.channelId).topic, channels.get(record.channelId));
      total += 1;
    }
  }
  console.log(`${path}: stream reader, ${channels.size} channels, read ${total}, ` +
              `ended cleanly: ${reader.done()}`);
  print(perTopic);
}

let failed = false;
for (const path of process.argv.slice(2)) {
  try {
    await indexed(path);
  } catch (e) {
    console.log(`${path}: indexed reader refused it: ${e.message}`);
    try {
      await streamed(path);
    } catch (e2) {
      console.log(`${path}: stream reader failed: ${e2.message}`);
      failed = true;
    }
  }
}
process.exit(failed ? 1 : 0);
