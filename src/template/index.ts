/**
 * Go text/template for docker-compatible `--format` flags.
 *
 * @example
 * parseTemplate('{{.Repository}}:{{.Tag}}').execute({ Repository: 'alpine', Tag: '3.20' }) // "alpine:3.20"
 *
 * Functions are Go's builtins plus docker/cli's `json split join title lower upper pad truncate`.
 * Errors are InvalidParameter with Go's text (`template: :1: function "foo" not defined`,
 * `template: :1:2: executing "" at <.Foo>: …`); docker/cli prefixes "template parsing error: "
 * when it reports them, which is the caller's business.
 *
 * See value.ts for how JavaScript values map onto Go's (undefined = no value, plain objects =
 * maps, class instances = structs, function properties = methods).
 */

export { parseTemplate, Template } from './template.js';
export type { ExecuteOptions, ParseTemplateOptions, PartialResult } from './template.js';
export { Float64 } from './value.js';
export { BUILTINS, DOCKER_FUNCS, HEADER_FUNCS } from './funcs.js';
export type { FuncMap, ParamType, TemplateFunc } from './funcs.js';
export { formatValue, sprint, sprintf, sprintln } from './fmt.js';
export { goQuote } from './quote.js';
export { encodeJSON } from './json.js';
export {
  headerFromTemplate,
  isJSONFormat,
  isTableFormat,
  prepareFormat,
  stripTablePrefix,
} from './docker.js';
