import { BadGatewayException, BadRequestException, NotFoundException, type ArgumentsHost, type LoggerService } from '@nestjs/common';
import { DomainError, type DomainErrorKind } from '@gridledger/domain';
import { ProblemDetailsFilter, PROBLEM_CONTENT_TYPE, toProblem, type Refusal } from '@gridledger/service-kit';

describe('toProblem', () => {
  it.each<[DomainErrorKind, number]>([
    ['invalid', 400],
    ['unauthenticated', 401],
    ['forbidden', 403],
    ['not-found', 404],
    ['conflict', 409],
    ['too-large', 413],
    ['unprocessable', 422],
  ])('answers a DomainError of kind %s with %i', (kind, status) => {
    const { status: answered, problem } = toProblem(new DomainError(kind, 'SOME_CODE', 'sharesW', 'is wrong'));
    expect(answered).toBe(status);
    expect(problem).toEqual({
      type: 'urn:gridledger:problem:SOME_CODE',
      title: 'Some code',
      status,
      detail: 'sharesW: is wrong',
      code: 'SOME_CODE',
      errors: [{ field: 'sharesW', code: 'SOME_CODE', reason: 'is wrong' }],
    });
  });

  it('lists every field error of DomainError.many and counts them in the detail', () => {
    const { problem } = toProblem(DomainError.many('invalid', [{ field: 'a', code: 'X', reason: 'bad a' }, { field: 'b', code: 'Y', reason: 'bad b' }]));
    expect(problem).toMatchObject({ code: 'X', status: 400, detail: '2 problems; the first: a: bad a', errors: [{ field: 'a', code: 'X' }, { field: 'b', code: 'Y' }] });
  });

  it("maps Nest's HttpExceptions: an unknown route is a 404 on the path, validation messages become errors", () => {
    expect(toProblem(new NotFoundException('Cannot GET /nope'))).toEqual({
      status: 404,
      problem: expect.objectContaining({ code: 'NOT_FOUND', detail: '(path): Cannot GET /nope', errors: [{ field: '(path)', code: 'NOT_FOUND', reason: 'Cannot GET /nope' }] }),
    });
    const { status, problem } = toProblem(new BadRequestException(['name must be a string', 'age must be positive']));
    expect(status).toBe(400);
    expect(problem.errors.map((e) => e.reason)).toEqual(['name must be a string', 'age must be positive']);
  });

  it("maps body-parser's errors: too large is 413, a broken JSON body 400", () => {
    const tooLarge = Object.assign(new Error('request entity too large'), { type: 'entity.too.large', status: 413, limit: 1024 });
    expect(toProblem(tooLarge)).toMatchObject({ status: 413, problem: { code: 'BODY_TOO_LARGE', errors: [{ field: '(body)', reason: 'body exceeds the limit of 1024 bytes' }] } });
    const malformed = Object.assign(new SyntaxError('Unexpected token } in JSON'), { type: 'entity.parse.failed', status: 400 });
    expect(toProblem(malformed)).toMatchObject({ status: 400, problem: { code: 'MALFORMED_JSON', errors: [{ field: '(body)' }] } });
    const aborted = Object.assign(new Error('request aborted'), { type: 'request.aborted', status: 400 });
    expect(toProblem(aborted)).toMatchObject({ status: 400, problem: { code: 'MALFORMED_REQUEST' } });
  });

  it('answers anything else with a 500 that tells nothing of the internals', () => {
    const { status, problem } = toProblem(new Error('relation "secret_table" does not exist at /srv/app.ts:12'));
    expect(status).toBe(500);
    expect(problem.code).toBe('INTERNAL');
    expect(JSON.stringify(problem)).not.toMatch(/secret_table|app\.ts/);
    // An object that merely looks like a parser error but claims a 5xx is not trusted either.
    expect(toProblem({ type: 'x', status: 503, message: 'db down at 10.0.0.3' }).problem.code).toBe('INTERNAL');
  });
});

describe('ProblemDetailsFilter', () => {
  function httpHost(request: Record<string, unknown> = { method: 'POST', path: '/plants', body: { plantId: 'p' } }) {
    const sent: { status?: number; type?: string; body?: string } = {};
    const response = {
      headersSent: false,
      status(code: number) {
        sent.status = code;
        return this;
      },
      type(type: string) {
        sent.type = type;
        return this;
      },
      send(body: string) {
        sent.body = body;
        return this;
      },
    };
    const host = { getType: () => 'http', switchToHttp: () => ({ getRequest: () => request, getResponse: () => response }) } as unknown as ArgumentsHost;
    return { host, sent };
  }
  const logger = (): LoggerService & { errors: string[]; warnings: string[] } => {
    const errors: string[] = [];
    const warnings: string[] = [];
    return { errors, warnings, log: () => undefined, error: (m: string) => errors.push(m), warn: (m: string) => warnings.push(m) };
  };

  it('sends application/problem+json and hands each refusal to the hook', async () => {
    const refusals: Refusal[] = [];
    const log = logger();
    const { host, sent } = httpHost();
    await new ProblemDetailsFilter(log, { onRefusal: (refusal) => void refusals.push(refusal) }).catch(new DomainError('conflict', 'PLANT_ALREADY_REGISTERED', 'plantId', 'exists'), host);
    expect(sent).toMatchObject({ status: 409, type: PROBLEM_CONTENT_TYPE });
    expect(JSON.parse(sent.body as string)).toMatchObject({ code: 'PLANT_ALREADY_REGISTERED', status: 409 });
    expect(refusals).toEqual([expect.objectContaining({ method: 'POST', path: '/plants', body: { plantId: 'p' }, problem: expect.objectContaining({ status: 409 }) })]);
    expect(log.errors).toEqual([]);
  });

  it("translates a service's own error types, and still answers when the hook fails", async () => {
    class LegacyError extends Error {}
    const log = logger();
    const { host, sent } = httpHost();
    const filter = new ProblemDetailsFilter(log, {
      toDomainError: (error) => (error instanceof LegacyError ? new DomainError('not-found', 'UNKNOWN_PLANT', 'plantId', 'no such plant') : undefined),
      onRefusal: () => Promise.reject(new Error('database down')),
    });
    await filter.catch(new LegacyError('x'), host);
    expect(sent.status).toBe(404);
    expect(JSON.parse(sent.body as string).code).toBe('UNKNOWN_PLANT');
    expect(log.warnings).toEqual([expect.stringContaining('database down')]);
  });

  it('logs a 500 with its cause and does not call the refusal hook', async () => {
    const log = logger();
    const onRefusal = jest.fn();
    const { host, sent } = httpHost();
    await new ProblemDetailsFilter(log, { onRefusal }).catch(new TypeError('cannot read x of undefined'), host);
    expect(sent.status).toBe(500);
    expect(log.errors).toEqual([expect.stringContaining('cannot read x of undefined')]);
    expect(onRefusal).not.toHaveBeenCalled();
  });

  it('logs a deliberate 5xx (a dependency down) as a warning, keeping its status and message', async () => {
    const log = logger();
    const { host, sent } = httpHost();
    await new ProblemDetailsFilter(log).catch(new BadGatewayException('balancing did not answer'), host);
    expect(sent.status).toBe(502);
    expect(JSON.parse(sent.body as string)).toMatchObject({ code: 'BAD_GATEWAY', detail: '(request): balancing did not answer' });
    expect(log.errors).toEqual([]);
    expect(log.warnings).toEqual([expect.stringContaining('502 (request): balancing did not answer')]);
  });
});
