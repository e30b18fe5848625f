/**
 * docker/cli's formatter.Context.Write: renders items through a `--format` value. Table
 * formats get a header row (the template run against the column titles) and are aligned with
 * docker's tabwriter; other formats print one execution per item, each followed by '\n'.
 */

import { InvalidParameter, messageOf } from '../../errdefs/index.js';
import { headerFromTemplate, isTableFormat, parseTemplate, prepareFormat, type Template } from '../../template/index.js';
import { DOCKER_TABLE, TabWriter } from './tabwriter.js';

export interface RenderOptions {
  /** The --format value: "table …", "json", or a Go template. */
  readonly format: string;
  readonly items: readonly unknown[];
  /** Column titles by field name, for table headers (docker's FullHeader). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Which maps make a missing key an error (docker inspect's raw values), not <no value>. */
  readonly missingKeyError?: (receiver: object) => boolean;
}

function templateError(err: unknown): InstanceType<typeof InvalidParameter> {
  return new InvalidParameter(`template parsing error: ${messageOf(err)}`, { cause: err });
}

/**
 * Renders `items`; throws InvalidParameter("template parsing error: …") like docker/cli when the
 * format does not parse or fails on an item.
 */
export function renderFormat(options: RenderOptions): string {
  let tmpl: Template;
  try {
    tmpl = parseTemplate(prepareFormat(options.format));
  } catch (err) {
    throw templateError(err);
  }
  let body = '';
  for (const item of options.items) {
    try {
      body += `${tmpl.execute(item, options.missingKeyError ? { missingKeyError: options.missingKeyError } : {})}\n`;
    } catch (err) {
      throw templateError(err);
    }
  }
  if (!isTableFormat(options.format)) return body;
  const w = new TabWriter(DOCKER_TABLE);
  w.write(headerFromTemplate(tmpl, options.headers ?? {}));
  w.write('\n');
  w.write(body);
  return w.flush();
}
