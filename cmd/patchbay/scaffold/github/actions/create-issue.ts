import { createAction } from 'nango';
import * as z from 'zod';

// The action's input and output are zod schemas: Patchbay validates the
// input before exec runs and the output after, and publishes both as JSON
// Schema (GET /scripts/config).
const CreateIssueInput = z.object({
    owner: z.string(),
    repo: z.string(),
    title: z.string(),
    body: z.string().optional(),
    labels: z.array(z.string()).optional()
});

const CreatedIssue = z.object({
    id: z.string(),
    number: z.number(),
    title: z.string(),
    state: z.enum(['open', 'closed']),
    url: z.string()
});

export default createAction({
    description: 'Open an issue in a GitHub repository',
    version: '1.0.0',
    endpoint: { method: 'POST', path: '/issues', group: 'Issues' },
    input: CreateIssueInput,
    output: CreatedIssue,
    scopes: ['repo'],

    exec: async (nango, input) => {
        // nango.post goes through Patchbay's proxy: the connection's token
        // is added, rate limits and retries are handled.
        const response = await nango.post<GithubIssueResponse>({
            endpoint: `/repos/${input.owner}/${input.repo}/issues`,
            data: { title: input.title, body: input.body, labels: input.labels }
        });
        const issue = response.data;
        return {
            id: String(issue.id),
            number: issue.number,
            title: issue.title,
            state: issue.state,
            url: issue.html_url
        };
    }
});

// The part of GitHub's answer the action reads.
interface GithubIssueResponse {
    id: number;
    number: number;
    title: string;
    state: 'open' | 'closed';
    html_url: string;
}
