// Expected outputs were recorded from the docker 28.2.2 CLI with `docker context ls --format …`,
// whose rows carry the fields below.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isInvalidParameter } from '../../errdefs/index.js';
import { renderFormat } from './render.js';

const item = {
  Current: true,
  Description: 'Current DOCKER_HOST based configuration',
  DockerEndpoint: 'unix:///var/run/docker.sock',
  Error: '',
  Name: 'default',
};
const headers = { Name: 'NAME', Description: 'DESCRIPTION', DockerEndpoint: 'DOCKER ENDPOINT', Error: 'ERROR' };

const render = (format: string, items: unknown[] = [item]): string => renderFormat({ format, items, headers });

test('table {{.Name}}\\t{{.Description}}', () => {
  assert.equal(render('table {{.Name}}\\t{{.Description}}'), 'NAME      DESCRIPTION\ndefault   Current DOCKER_HOST based configuration\n');
});

test('table with docker functions keeps header text', () => {
  assert.equal(
    render('table {{.Name}}\\t{{json .Name}}\\t{{upper .Name}}|{{pad .Name 1 1}}'),
    'NAME      NAME        NAME| NAME \ndefault   "default"   DEFAULT| default \n',
  );
});

test('table with printf truncation', () => {
  assert.equal(render('table {{.Name}}\\t{{.DockerEndpoint | printf "%.5s"}}'), 'NAME      DOCKE\ndefault   unix:\n');
});

test('table with \\n in the format and a missing header field', () => {
  assert.equal(
    render('table {{.Name}}\\t{{.Name}}\\t{{.Name}}\\n{{.Current}}'),
    'NAME      NAME      NAME\n<no value>\ndefault   default   default\ntrue\n',
  );
});

test('table {{json .}}: the header fails and stays empty', () => {
  assert.equal(
    render('table {{json .}}'),
    '\n{"Current":true,"Description":"Current DOCKER_HOST based configuration","DockerEndpoint":"unix:///var/run/docker.sock","Error":"","Name":"default"}\n',
  );
});

test('table with empty cells and an unaligned last column', () => {
  assert.equal(
    render('table {{.Name}}\\t{{if .Current}}yes{{end}}\\t{{.Error}}\\tX'),
    'NAME                ERROR     X\ndefault   yes                 X\n',
  );
});

test('table trims spaces around the template', () => {
  assert.equal(render('table  {{.Name}}  '), 'NAME\ndefault\n');
});

test('table with no items prints the header', () => {
  assert.equal(render('table {{.Name}}\\t{{.Error}}', []), 'NAME      ERROR\n');
});

test('json prints one object per line', () => {
  assert.equal(
    render('json', [item, { ...item, Name: 'other', Current: false }]),
    '{"Current":true,"Description":"Current DOCKER_HOST based configuration","DockerEndpoint":"unix:///var/run/docker.sock","Error":"","Name":"default"}\n' +
      '{"Current":false,"Description":"Current DOCKER_HOST based configuration","DockerEndpoint":"unix:///var/run/docker.sock","Error":"","Name":"other"}\n',
  );
});

test('a plain template is not aligned: \\t becomes a real tab', () => {
  assert.equal(render('{{.Name}}\\t{{.Current}}'), 'default\ttrue\n');
  assert.equal(render(' {{.Name}}\\\\t|'), 'default\\\t|\n');
  assert.equal(render('{{.Name}}', []), '');
});

test('errors are wrapped like docker/cli', () => {
  assert.throws(
    () => render('{{.Name'),
    (err: unknown) => isInvalidParameter(err) && (err as Error).message === 'template parsing error: template: :1: unclosed action',
  );
  class Ctx {
    Name = 'x';
  }
  assert.throws(
    () => render('table {{.Name}}\\t{{.Nope}}', [new Ctx()]),
    (err: unknown) =>
      (err as Error).message ===
      "template parsing error: template: :1:12: executing \"\" at <.Nope>: can't evaluate field Nope in type Ctx",
  );
});
