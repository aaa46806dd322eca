#!/usr/bin/env node
// SPDX-License-Identifier: MIT
//
// The "everything" MCP server that the official conformance suite
// (@modelcontextprotocol/conformance) expects behind the URL it tests,
// written for mcpgw on stdio: mcpgw runs it as its child and the suite talks
// to mcpgw over Streamable HTTP.
//
// Every tool, resource and prompt below is the one a server scenario of the
// suite names (see src/scenarios/server/*.ts in the conformance repository,
// and /work/shared/PROTOCOL.md section 5.2). Nothing but JSON-RPC may go to
// stdout; diagnostics go to stderr.
//
// Tools are served by plain tools/list and tools/call handlers on the
// low-level Server rather than McpServer.registerTool(), because the
// json-schema-2020-12 scenario needs an inputSchema ($schema, $defs,
// $anchor, if/then/else, additionalProperties:false) that must reach the
// client exactly as written, which a Zod-derived schema cannot guarantee.
// Resources, prompts and completion use McpServer.

import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { completable } from '@modelcontextprotocol/sdk/server/completable.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';

const log = (s) => process.stderr.write(`everything-server: ${s}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// A 1x1 red PNG (IHDR 1x1 RGB8, one filtered scanline 00 ff 00 00).
const PNG_BASE64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC';

// A valid WAV file: PCM, mono, 8 kHz, 16-bit, 80 samples (10 ms) of silence.
function makeWav() {
  const samples = 80;
  const dataBytes = samples * 2;
  const b = Buffer.alloc(44 + dataBytes);
  b.write('RIFF', 0, 'ascii');
  b.writeUInt32LE(36 + dataBytes, 4);
  b.write('WAVE', 8, 'ascii');
  b.write('fmt ', 12, 'ascii');
  b.writeUInt32LE(16, 16); // fmt chunk size
  b.writeUInt16LE(1, 20); // PCM
  b.writeUInt16LE(1, 22); // channels
  b.writeUInt32LE(8000, 24); // sample rate
  b.writeUInt32LE(8000 * 2, 28); // byte rate
  b.writeUInt16LE(2, 32); // block align
  b.writeUInt16LE(16, 34); // bits per sample
  b.write('data', 36, 'ascii');
  b.writeUInt32LE(dataBytes, 40);
  return b.toString('base64');
}
const WAV_BASE64 = makeWav();

const mcp = new McpServer(
  { name: 'mcpgw-conformance-everything', version: '1.0.0' },
  {
    capabilities: {
      tools: { listChanged: true },
      resources: { subscribe: true, listChanged: true },
      prompts: { listChanged: true },
      logging: {},
      completions: {},
    },
  },
);
const server = mcp.server;

// ---------------------------------------------------------------- tools

const NO_ARGS = { type: 'object', properties: {} };

const text = (t) => ({ type: 'text', text: t });
const toolError = (msg) => ({ isError: true, content: [text(msg)] });

function requireString(args, name) {
  const v = args?.[name];
  if (typeof v !== 'string') {
    throw new McpError(ErrorCode.InvalidParams, `argument '${name}' (string) is required`);
  }
  return v;
}

// Sends notifications/message at `level` unless logging/setLevel has set a
// higher threshold (Server.sendLoggingMessage does that filtering).
const logToClient = (level, data) =>
  server.sendLoggingMessage({ level, logger: 'everything-server', data });

function clientCan(capability) {
  return Boolean(server.getClientCapabilities()?.[capability]);
}

async function elicit(params) {
  if (!clientCan('elicitation')) {
    return { error: 'Client does not support elicitation (no elicitation capability)' };
  }
  try {
    return { result: await server.elicitInput(params) };
  } catch (e) {
    return { error: `elicitation/create failed: ${e?.message ?? e}` };
  }
}

const elicitationSummary = (r) =>
  `Elicitation completed: action=${r.action}, content=${JSON.stringify(r.content ?? {})}`;

const JSON_SCHEMA_2020_12 = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  $defs: {
    address: {
      $anchor: 'addressDef',
      type: 'object',
      properties: {
        street: { type: 'string' },
        city: { type: 'string' },
      },
    },
  },
  properties: {
    name: { type: 'string' },
    address: { $ref: '#/$defs/address' },
    contactMethod: { type: 'string', enum: ['phone', 'email'] },
    phone: { type: 'string' },
    email: { type: 'string' },
  },
  allOf: [{ anyOf: [{ required: ['phone'] }, { required: ['email'] }] }],
  if: {
    properties: { contactMethod: { const: 'phone' } },
    required: ['contactMethod'],
  },
  then: { required: ['phone'] },
  else: { required: ['email'] },
  additionalProperties: false,
};

const tools = [
  {
    name: 'test_simple_text',
    description: 'Returns a simple text response',
    inputSchema: NO_ARGS,
    run: async () => ({ content: [text('This is a simple text response for testing.')] }),
  },
  {
    name: 'test_image_content',
    description: 'Returns a 1x1 PNG image',
    inputSchema: NO_ARGS,
    run: async () => ({ content: [{ type: 'image', data: PNG_BASE64, mimeType: 'image/png' }] }),
  },
  {
    name: 'test_audio_content',
    description: 'Returns a short WAV clip',
    inputSchema: NO_ARGS,
    run: async () => ({ content: [{ type: 'audio', data: WAV_BASE64, mimeType: 'audio/wav' }] }),
  },
  {
    name: 'test_embedded_resource',
    description: 'Returns an embedded text resource',
    inputSchema: NO_ARGS,
    run: async () => ({
      content: [
        {
          type: 'resource',
          resource: {
            uri: 'test://embedded-resource',
            mimeType: 'text/plain',
            text: 'This is an embedded resource content.',
          },
        },
      ],
    }),
  },
  {
    name: 'test_multiple_content_types',
    description: 'Returns text, an image and an embedded resource',
    inputSchema: NO_ARGS,
    run: async () => ({
      content: [
        text('Multiple content types test:'),
        { type: 'image', data: PNG_BASE64, mimeType: 'image/png' },
        {
          type: 'resource',
          resource: {
            uri: 'test://mixed-content-resource',
            mimeType: 'application/json',
            text: JSON.stringify({ test: 'data', value: 123 }),
          },
        },
      ],
    }),
  },
  {
    name: 'test_tool_with_logging',
    description: 'Sends three info log notifications while it runs',
    inputSchema: NO_ARGS,
    run: async () => {
      await logToClient('info', 'Tool execution started');
      await sleep(50);
      await logToClient('info', 'Tool processing data');
      await sleep(50);
      await logToClient('info', 'Tool execution completed');
      return { content: [text('Tool with logging executed successfully')] };
    },
  },
  {
    name: 'test_error_handling',
    description: 'Always fails with an isError result',
    inputSchema: NO_ARGS,
    run: async () => toolError('This tool intentionally returns an error for testing'),
  },
  {
    name: 'test_tool_with_progress',
    description: 'Reports progress 0, 50 and 100 of 100 when given a progressToken',
    inputSchema: NO_ARGS,
    run: async (_args, request, extra) => {
      const token = request.params._meta?.progressToken;
      for (const progress of [0, 50, 100]) {
        if (token !== undefined) {
          await extra.sendNotification({
            method: 'notifications/progress',
            params: { progressToken: token, progress, total: 100, message: `${progress}%` },
          });
        }
        if (progress < 100) await sleep(50);
      }
      return { content: [text('Tool with progress completed')] };
    },
  },
  {
    name: 'test_sampling',
    description: 'Asks the client for an LLM completion (sampling/createMessage)',
    inputSchema: {
      type: 'object',
      properties: { prompt: { type: 'string', description: 'The prompt to send to the LLM' } },
      required: ['prompt'],
    },
    run: async (args) => {
      const prompt = requireString(args, 'prompt');
      if (!clientCan('sampling')) {
        return toolError('Client does not support sampling (no sampling capability)');
      }
      let r;
      try {
        r = await server.createMessage({
          messages: [{ role: 'user', content: { type: 'text', text: prompt } }],
          maxTokens: 100,
        });
      } catch (e) {
        return toolError(`sampling/createMessage failed: ${e?.message ?? e}`);
      }
      const reply = r.content?.type === 'text' ? r.content.text : JSON.stringify(r.content);
      return { content: [text(`LLM response: ${reply}`)] };
    },
  },
  {
    name: 'test_elicitation',
    description: 'Asks the user for a username and email (elicitation/create)',
    inputSchema: {
      type: 'object',
      properties: { message: { type: 'string', description: 'The message to show the user' } },
      required: ['message'],
    },
    run: async (args) => {
      const message = requireString(args, 'message');
      const { result, error } = await elicit({
        message,
        requestedSchema: {
          type: 'object',
          properties: {
            username: { type: 'string', description: "User's response" },
            email: { type: 'string', description: "User's email address" },
          },
          required: ['username', 'email'],
        },
      });
      if (error) return toolError(error);
      return {
        content: [
          text(`User response: action=${result.action}, content=${JSON.stringify(result.content ?? {})}`),
        ],
      };
    },
  },
  {
    name: 'test_elicitation_sep1034_defaults',
    description: 'Elicitation whose schema has defaults for every primitive type (SEP-1034)',
    inputSchema: NO_ARGS,
    run: async () => {
      const { result, error } = await elicit({
        message: 'Please review your profile (defaults are pre-filled)',
        requestedSchema: {
          type: 'object',
          properties: {
            name: { type: 'string', title: 'Name', default: 'John Doe' },
            age: { type: 'integer', title: 'Age', minimum: 0, maximum: 150, default: 30 },
            score: { type: 'number', title: 'Score', minimum: 0, maximum: 100, default: 95.5 },
            status: {
              type: 'string',
              title: 'Status',
              enum: ['active', 'inactive', 'pending'],
              default: 'active',
            },
            verified: { type: 'boolean', title: 'Verified', default: true },
          },
          required: [],
        },
      });
      if (error) return toolError(error);
      return { content: [text(elicitationSummary(result))] };
    },
  },
  {
    name: 'test_elicitation_sep1330_enums',
    description: 'Elicitation whose schema has all five enum forms (SEP-1330)',
    inputSchema: NO_ARGS,
    run: async () => {
      const { result, error } = await elicit({
        message: 'Please pick some options',
        requestedSchema: {
          type: 'object',
          properties: {
            untitledSingle: {
              type: 'string',
              title: 'Untitled single-select',
              enum: ['option1', 'option2', 'option3'],
            },
            titledSingle: {
              type: 'string',
              title: 'Titled single-select',
              oneOf: [
                { const: 'value1', title: 'First Option' },
                { const: 'value2', title: 'Second Option' },
                { const: 'value3', title: 'Third Option' },
              ],
            },
            legacyEnum: {
              type: 'string',
              title: 'Legacy titled enum',
              enum: ['opt1', 'opt2', 'opt3'],
              enumNames: ['Option One', 'Option Two', 'Option Three'],
            },
            untitledMulti: {
              type: 'array',
              title: 'Untitled multi-select',
              items: { type: 'string', enum: ['option1', 'option2', 'option3'] },
            },
            titledMulti: {
              type: 'array',
              title: 'Titled multi-select',
              items: {
                anyOf: [
                  { const: 'value1', title: 'First Choice' },
                  { const: 'value2', title: 'Second Choice' },
                  { const: 'value3', title: 'Third Choice' },
                ],
              },
            },
          },
          required: [],
        },
      });
      if (error) return toolError(error);
      return { content: [text(elicitationSummary(result))] };
    },
  },
  {
    name: 'json_schema_2020_12_tool',
    description: 'Tool with JSON Schema 2020-12 features',
    inputSchema: JSON_SCHEMA_2020_12,
    run: async (args) => ({ content: [text(`Received: ${JSON.stringify(args ?? {})}`)] }),
  },
  {
    name: 'test_reconnection',
    description:
      'Takes a moment before answering, so an HTTP front end may close and resume the SSE stream (SEP-1699)',
    inputSchema: NO_ARGS,
    run: async () => {
      await sleep(200);
      return { content: [text('Reconnection test completed')] };
    },
  },
];
const toolsByName = new Map(tools.map((t) => [t.name, t]));

server.setRequestHandler(ListToolsRequestSchema, async () => ({
  tools: tools.map(({ name, description, inputSchema }) => ({ name, description, inputSchema })),
}));

server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
  const tool = toolsByName.get(request.params.name);
  if (!tool) {
    throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${request.params.name}`);
  }
  return tool.run(request.params.arguments ?? {}, request, extra);
});

// ------------------------------------------------------------ resources

mcp.registerResource(
  'static-text',
  'test://static-text',
  { title: 'Static text', description: 'A static text resource', mimeType: 'text/plain' },
  async (uri) => ({
    contents: [
      { uri: uri.href, mimeType: 'text/plain', text: 'This is the content of the static text resource.' },
    ],
  }),
);

mcp.registerResource(
  'static-binary',
  'test://static-binary',
  { title: 'Static binary', description: 'A static binary resource (PNG)', mimeType: 'image/png' },
  async (uri) => ({ contents: [{ uri: uri.href, mimeType: 'image/png', blob: PNG_BASE64 }] }),
);

mcp.registerResource(
  'template-data',
  new ResourceTemplate('test://template/{id}/data', {
    list: undefined,
    complete: { id: (value) => ['123', '456', '789'].filter((v) => v.startsWith(value)) },
  }),
  { title: 'Template data', description: 'JSON data for an id', mimeType: 'application/json' },
  async (uri, { id }) => ({
    contents: [
      {
        uri: uri.href,
        mimeType: 'application/json',
        text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` }),
      },
    ],
  }),
);

mcp.registerResource(
  'watched-resource',
  'test://watched-resource',
  { title: 'Watched resource', description: 'A resource that can be subscribed to', mimeType: 'text/plain' },
  async (uri) => ({
    contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'Watched resource content.' }],
  }),
);

// Subscriptions are tracked but nothing here changes, so no
// notifications/resources/updated is ever sent.
const subscriptions = new Set();
server.setRequestHandler(SubscribeRequestSchema, async (request) => {
  subscriptions.add(request.params.uri);
  return {};
});
server.setRequestHandler(UnsubscribeRequestSchema, async (request) => {
  subscriptions.delete(request.params.uri);
  return {};
});

// -------------------------------------------------------------- prompts

mcp.registerPrompt(
  'test_simple_prompt',
  { title: 'Simple prompt', description: 'A prompt without arguments' },
  async () => ({
    messages: [{ role: 'user', content: text('This is a simple prompt for testing.') }],
  }),
);

mcp.registerPrompt(
  'test_prompt_with_arguments',
  {
    title: 'Prompt with arguments',
    description: 'A prompt with two required arguments',
    argsSchema: {
      arg1: completable(z.string().describe('First test argument'), (value) =>
        ['paris', 'park', 'party', 'test', 'testing'].filter((v) => v.startsWith(value ?? '')),
      ),
      arg2: z.string().describe('Second test argument'),
    },
  },
  async ({ arg1, arg2 }) => ({
    messages: [{ role: 'user', content: text(`Prompt with arguments: arg1='${arg1}', arg2='${arg2}'`) }],
  }),
);

mcp.registerPrompt(
  'test_prompt_with_embedded_resource',
  {
    title: 'Prompt with embedded resource',
    description: 'A prompt that embeds the resource it is given',
    argsSchema: { resourceUri: z.string().describe('URI of the resource to embed') },
  },
  async ({ resourceUri }) => ({
    messages: [
      {
        role: 'user',
        content: {
          type: 'resource',
          resource: { uri: resourceUri, mimeType: 'text/plain', text: 'Embedded resource content for testing.' },
        },
      },
      { role: 'user', content: text('Please process the embedded resource above.') },
    ],
  }),
);

mcp.registerPrompt(
  'test_prompt_with_image',
  { title: 'Prompt with image', description: 'A prompt that contains an image' },
  async () => ({
    messages: [
      { role: 'user', content: { type: 'image', data: PNG_BASE64, mimeType: 'image/png' } },
      { role: 'user', content: text('Please analyze the image above.') },
    ],
  }),
);

// ---------------------------------------------------------------- start

process.stdin.on('end', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));

// One stderr line per handshake, so the gateway's log shows who initialized
// this child and what it said it can do (a shared mcpgw child is initialized
// by the gateway itself, without sampling or elicitation).
server.oninitialized = () => {
  const who = server.getClientVersion();
  log(`initialized by ${who?.name}/${who?.version} capabilities=${JSON.stringify(server.getClientCapabilities() ?? {})}`);
};

await mcp.connect(new StdioServerTransport());
log(`ready pid=${process.pid}`);
