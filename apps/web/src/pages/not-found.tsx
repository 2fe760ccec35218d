import { buttonClasses } from '../components/button.tsx';
import { Card, PageHeading } from '../components/layout.tsx';
import { Link } from '../lib/router.tsx';
import { useDocumentTitle } from '../lib/use-document-title.ts';

export function NotFoundPage() {
  useDocumentTitle('Page not found');
  return (
    <Card>
      <PageHeading title="Page not found" subtitle="The address may be mistyped, or the page has moved." />
      <Link to="/" className={buttonClasses('primary')}>
        Go to the home page
      </Link>
    </Card>
  );
}
