// User-side content blocks (text, image, document, search_result) -> Responses input content parts,
// and a tool_result's content -> a function_call_output's output.
import type {
  ContentBlock, DocumentBlock, ImageBlock, SearchResultBlock, ToolResultBlock,
} from '../wire/anthropic-request.ts';
import type { FunctionCallOutputContent } from '../wire/responses-request.ts';
import { referencedToolName, toolReferenceText } from './deferred-tools.ts';

/** Put in front of a failed tool's output so the model sees the failure (Responses has no is_error). */
export const TOOL_ERROR_MARKER = '[tool error]';

/** Text for a block that refers to an Anthropic Files API id: meaningless upstream, but the model
 *  should know something was there. */
const fileRefPlaceholder = (kind: string): string =>
  `[${kind} omitted: Anthropic file_id references cannot be forwarded]`;

export const DEFAULT_PDF_FILENAME = 'document.pdf';

export function imagePart(block: ImageBlock): FunctionCallOutputContent {
  const src = block.source;
  switch (src.type) {
    case 'base64':
      return { type: 'input_image', image_url: `data:${src.media_type};base64,${src.data}`, detail: 'auto' };
    case 'url':
      return { type: 'input_image', image_url: src.url, detail: 'auto' };
    default:
      return { type: 'input_text', text: fileRefPlaceholder('image') };
  }
}

function documentHeader(block: DocumentBlock): string {
  return [block.title, block.context].filter((s) => typeof s === 'string' && s !== '').join('\n');
}

function withHeader(header: string, text: string): string {
  return header === '' ? text : `${header}\n\n${text}`;
}

/** PDFs -> input_file; plain-text documents -> input_text (title and context first). */
export function documentParts(block: DocumentBlock): FunctionCallOutputContent[] {
  const src = block.source;
  switch (src.type) {
    case 'base64': {
      if (src.media_type.startsWith('text/')) {
        const text = Buffer.from(src.data, 'base64').toString('utf8');
        return [{ type: 'input_text', text: withHeader(documentHeader(block), text) }];
      }
      return [{
        type: 'input_file',
        filename: block.title || DEFAULT_PDF_FILENAME,
        file_data: `data:${src.media_type};base64,${src.data}`,
      }];
    }
    case 'url':
      return [{ type: 'input_file', file_url: src.url }];
    case 'text':
      return src.data === '' ? [] : [{ type: 'input_text', text: withHeader(documentHeader(block), src.data) }];
    case 'content': {
      const parts: FunctionCallOutputContent[] = [];
      const header = documentHeader(block);
      if (header !== '') parts.push({ type: 'input_text', text: header });
      if (typeof src.content === 'string') {
        if (src.content !== '') parts.push({ type: 'input_text', text: src.content });
      } else {
        for (const inner of src.content) {
          if (inner.type === 'text') {
            if (inner.text !== '') parts.push({ type: 'input_text', text: inner.text });
          } else if (inner.type === 'image') {
            parts.push(imagePart(inner));
          }
        }
      }
      return parts;
    }
    default:
      return [{ type: 'input_text', text: fileRefPlaceholder('document') }];
  }
}

export function searchResultText(block: SearchResultBlock): string {
  const body = (Array.isArray(block.content) ? block.content : [])
    .map((b) => (b && typeof b.text === 'string' ? b.text : ''))
    .filter((t) => t !== '')
    .join('\n');
  return [block.title, block.source, body].filter((s) => typeof s === 'string' && s !== '').join('\n');
}

/**
 * One user-side block -> input parts (a tool_reference becomes a line saying which tool was loaded). Returns []
 * for blocks that are dropped here (empty text, thinking, Anthropic server-tool blocks) and for tool_use /
 * tool_result, which the message converter handles.
 */
export function userContentParts(block: ContentBlock): FunctionCallOutputContent[] {
  switch (block.type) {
    case 'text':
      return block.text === '' ? [] : [{ type: 'input_text', text: block.text }];
    case 'image':
      return [imagePart(block)];
    case 'document':
      return documentParts(block);
    case 'search_result': {
      const text = searchResultText(block);
      return text === '' ? [] : [{ type: 'input_text', text }];
    }
    case 'tool_reference': {
      // ToolSearch loaded a deferred tool: its definition is in `tools` now (see deferred-tools.ts)
      const name = referencedToolName(block);
      return name === '' ? [] : [{ type: 'input_text', text: toolReferenceText(name) }];
    }
    default:
      return [];
  }
}

/**
 * tool_result content -> function_call_output.output: a string when it is only text (text blocks joined
 * with "\n"), else an array of parts. is_error puts TOOL_ERROR_MARKER in front.
 */
export function toolResultOutput(block: ToolResultBlock): string | FunctionCallOutputContent[] {
  const content = block.content;
  const isError = block.is_error === true;
  if (content === undefined || content === null || typeof content === 'string') {
    const text = typeof content === 'string' ? content : '';
    return isError ? markError(text) : text;
  }
  const parts: FunctionCallOutputContent[] = [];
  for (const inner of content) parts.push(...userContentParts(inner));
  if (parts.every((p) => p.type === 'input_text')) {
    const text = parts.map((p) => (p as { text: string }).text).join('\n');
    return isError ? markError(text) : text;
  }
  if (isError) parts.unshift({ type: 'input_text', text: TOOL_ERROR_MARKER });
  return parts;
}

function markError(text: string): string {
  return text === '' ? TOOL_ERROR_MARKER : `${TOOL_ERROR_MARKER} ${text}`;
}
