import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  headerFromTemplate,
  isJSONFormat,
  isTableFormat,
  parseTemplate,
  prepareFormat,
  stripTablePrefix,
} from './index.js';

test('isTableFormat: a "table" prefix, as docker/cli checks it', () => {
  assert.equal(isTableFormat('table'), true);
  assert.equal(isTableFormat('table {{.ID}}'), true);
  assert.equal(isTableFormat('tablespoon'), true, 'docker/cli only checks the prefix');
  assert.equal(isTableFormat('{{.ID}} table'), false);
  assert.equal(isTableFormat(' table'), false);
});

test('isJSONFormat: exactly "json"', () => {
  assert.equal(isJSONFormat('json'), true);
  assert.equal(isJSONFormat('{{json .}}'), false);
  assert.equal(isJSONFormat('json '), false);
});

test('stripTablePrefix removes only the keyword', () => {
  assert.equal(stripTablePrefix('table {{.ID}}\\t{{.Size}}'), ' {{.ID}}\\t{{.Size}}');
  assert.equal(stripTablePrefix('{{.ID}}'), '{{.ID}}');
});

test('prepareFormat: table {{.ID}}\\t{{.Size}}', () => {
  assert.equal(prepareFormat('table {{.ID}}\\t{{.Size}}'), '{{.ID}}\t{{.Size}}');
});

test('prepareFormat maps json, trims spaces only, and replaces \\t and \\n', () => {
  assert.equal(prepareFormat('json'), '{{json .}}');
  assert.equal(prepareFormat('  {{.A}}\\n{{.B}}  '), '{{.A}}\n{{.B}}');
  assert.equal(prepareFormat('\t{{.A}}\t'), '\t{{.A}}\t', 'strings.Trim(f, " ") keeps real tabs');
  assert.equal(prepareFormat('{{.A}}\\\\t'), '{{.A}}\\\t', 'each \\t pair is replaced, even after a backslash');
  assert.equal(prepareFormat('table'), '');
});

const HEADERS = { ID: 'IMAGE ID', Repository: 'REPOSITORY', Tag: 'TAG', Size: 'SIZE', Labels: 'LABELS' };

test('headerFromTemplate: table {{.ID}}\\t{{.Size}}', () => {
  assert.equal(headerFromTemplate('table {{.ID}}\\t{{.Size}}', HEADERS), 'IMAGE ID\tSIZE');
});

test('headerFromTemplate keeps header text through docker functions except pad', () => {
  assert.equal(
    headerFromTemplate('table {{json .Labels}}\\t{{upper .Tag}}\\t{{truncate .Repository 2}}\\t{{pad .ID 1 1}}|', HEADERS),
    'LABELS\tTAG\tREPOSITORY\t IMAGE ID |',
  );
  assert.equal(headerFromTemplate('table {{join .Repository ","}}', HEADERS), 'REPOSITORY');
});

test('headerFromTemplate: unknown fields are <no value>, errors keep partial output', () => {
  assert.equal(headerFromTemplate('table {{.ID}}\\t{{.Nope}}', HEADERS), 'IMAGE ID\t<no value>');
  assert.equal(headerFromTemplate('table {{.ID}}\\t{{json .}}\\t{{.Tag}}', HEADERS), 'IMAGE ID\t');
  assert.equal(headerFromTemplate('table {{.Label "x"}}', HEADERS), '');
});

test('headerFromTemplate accepts an already parsed template', () => {
  const tmpl = parseTemplate(prepareFormat('table {{.Repository}}:{{.Tag}}'));
  assert.equal(headerFromTemplate(tmpl, HEADERS), 'REPOSITORY:TAG');
  assert.equal(tmpl.execute({ Repository: 'alpine', Tag: 'latest' }), 'alpine:latest', 'header functions do not stick');
});
