//! How deep and how large the tree is that a piece of HTML makes, measured
//! by the HTML parser itself before the sanitizer sees it.
//!
//! html5ever's tree builder checks scopes by walking its stack of open
//! elements, and reopens unclosed formatting elements in every new block:
//! `<div>` nested 80,000 deep takes it 16 seconds, and 5,000 paragraphs
//! that each reopen the bold tags of the ones before take it 46 seconds and
//! make 87 MB. Counting tags in the text cannot see the second kind (the
//! parser makes those elements, the text never opens them), so `check`
//! runs the same parser, in the same fragment context as ammonia, with a
//! sink that keeps only each node's parent. It feeds the input a slice at a
//! time and stops at the first slice that puts an element deeper than
//! `MAX_DEPTH` or makes more than `MAX_ELEMENTS`: the work done before it
//! stops is bounded by those limits, whatever the input.
//!
//! This module never decides what is safe; it only refuses what is too big
//! to decide about in time.

use crate::RenderError;
use html5ever::interface::{ElemName, ElementFlags, NodeOrText, QuirksMode, TreeSink};
use html5ever::tendril::{StrTendril, TendrilSink};
use html5ever::{Attribute, LocalName, Namespace, QualName, local_name, ns};
use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// Deepest an element may lie. Real articles nest a few levels (a quote
/// in a list in a table); browsers give up at 512.
pub const MAX_DEPTH: usize = 100;
/// Most elements a body may make, counting those the parser reopens.
pub const MAX_ELEMENTS: usize = 100_000;
/// How much input the parser takes between checks.
const SLICE: usize = 4096;

/// Refuses HTML whose tree is too deep or too large to sanitize in time.
pub(crate) fn check(html: &str) -> Result<(), RenderError> {
    let verdict = Rc::new(Cell::new(None));
    let sink = Sink {
        nodes: RefCell::new(vec![Node::root()]),
        elements: Cell::new(0),
        verdict: verdict.clone(),
    };
    let mut parser = html5ever::driver::parse_fragment(
        sink,
        Default::default(),
        QualName::new(None, ns!(html), local_name!("div")),
        Vec::new(),
        false,
    );
    let mut at = 0;
    while at < html.len() {
        let mut end = (at + SLICE).min(html.len());
        while !html.is_char_boundary(end) {
            end += 1;
        }
        parser.process(StrTendril::from_slice(&html[at..end]));
        if let Some(refused) = verdict.take() {
            return Err(refused);
        }
        at = end;
    }
    parser.finish();
    verdict.take().map_or(Ok(()), Err)
}

const NO_PARENT: usize = usize::MAX;

struct Node {
    name: QualName,
    parent: usize,
    /// May hold children that moved away since: `parent` is the truth.
    children: Vec<usize>,
    annotation_xml_integration_point: bool,
}

impl Node {
    fn root() -> Self {
        Self::new(QualName::new(None, ns!(), local_name!("")))
    }

    fn new(name: QualName) -> Self {
        Self {
            name,
            parent: NO_PARENT,
            children: Vec::new(),
            annotation_xml_integration_point: false,
        }
    }
}

/// A tree builder's sink that keeps parents, counts and nothing else.
struct Sink {
    nodes: RefCell<Vec<Node>>,
    elements: Cell<usize>,
    verdict: Rc<Cell<Option<RenderError>>>,
}

impl Sink {
    fn refuse(&self, why: RenderError) {
        let mut v = self.verdict.take();
        v.get_or_insert(why);
        self.verdict.set(v);
    }

    fn add(&self, node: Node) -> usize {
        let mut nodes = self.nodes.borrow_mut();
        nodes.push(node);
        nodes.len() - 1
    }

    /// Makes `child` the last child of `parent`, and refuses when that
    /// puts it too deep. Walking up is bounded: it stops past the limit.
    fn attach(&self, parent: usize, child: usize) {
        let mut nodes = self.nodes.borrow_mut();
        if parent >= nodes.len() || child >= nodes.len() {
            return;
        }
        nodes[child].parent = parent;
        nodes[parent].children.push(child);
        let mut depth = 0;
        let mut at = parent;
        while at != NO_PARENT {
            depth += 1;
            if depth > MAX_DEPTH {
                drop(nodes);
                self.refuse(RenderError::TooDeep { max: MAX_DEPTH });
                return;
            }
            at = nodes[at].parent;
        }
    }

    fn parent_of(&self, node: usize) -> usize {
        self.nodes
            .borrow()
            .get(node)
            .map_or(NO_PARENT, |n| n.parent)
    }
}

/// An element's name, as the tree builder asks for it.
#[derive(Debug)]
struct Name(QualName);

impl ElemName for Name {
    fn ns(&self) -> &Namespace {
        &self.0.ns
    }

    fn local_name(&self) -> &LocalName {
        &self.0.local
    }
}

impl TreeSink for Sink {
    type Handle = usize;
    type Output = ();
    type ElemName<'a> = Name;

    fn finish(self) {}

    fn parse_error(&self, _: Cow<'static, str>) {}

    fn get_document(&self) -> usize {
        0
    }

    fn elem_name<'a>(&'a self, target: &'a usize) -> Name {
        let nodes = self.nodes.borrow();
        Name(
            nodes
                .get(*target)
                .map_or_else(|| Node::root().name, |n| n.name.clone()),
        )
    }

    fn create_element(&self, name: QualName, _: Vec<Attribute>, flags: ElementFlags) -> usize {
        let count = self.elements.get() + 1;
        self.elements.set(count);
        if count > MAX_ELEMENTS {
            self.refuse(RenderError::TooManyElements { max: MAX_ELEMENTS });
        }
        let mut node = Node::new(name);
        node.annotation_xml_integration_point = flags.mathml_annotation_xml_integration_point;
        self.add(node)
    }

    fn create_comment(&self, _: StrTendril) -> usize {
        self.add(Node::root())
    }

    fn create_pi(&self, _: StrTendril, _: StrTendril) -> usize {
        self.add(Node::root())
    }

    fn append(&self, parent: &usize, child: NodeOrText<usize>) {
        if let NodeOrText::AppendNode(child) = child {
            self.attach(*parent, child);
        }
    }

    fn append_based_on_parent_node(
        &self,
        element: &usize,
        prev_element: &usize,
        child: NodeOrText<usize>,
    ) {
        if self.parent_of(*element) == NO_PARENT {
            self.append(prev_element, child);
        } else {
            self.append_before_sibling(element, child);
        }
    }

    fn append_doctype_to_document(&self, _: StrTendril, _: StrTendril, _: StrTendril) {}

    fn get_template_contents(&self, target: &usize) -> usize {
        *target
    }

    fn same_node(&self, x: &usize, y: &usize) -> bool {
        x == y
    }

    fn set_quirks_mode(&self, _: QuirksMode) {}

    fn append_before_sibling(&self, sibling: &usize, new_node: NodeOrText<usize>) {
        let parent = self.parent_of(*sibling);
        if let (NodeOrText::AppendNode(child), true) = (new_node, parent != NO_PARENT) {
            self.attach(parent, child);
        }
    }

    fn add_attrs_if_missing(&self, _: &usize, _: Vec<Attribute>) {}

    fn remove_from_parent(&self, target: &usize) {
        if let Some(n) = self.nodes.borrow_mut().get_mut(*target) {
            n.parent = NO_PARENT;
        }
    }

    fn reparent_children(&self, node: &usize, new_parent: &usize) {
        let moving: Vec<usize> = {
            let mut nodes = self.nodes.borrow_mut();
            let Some(n) = nodes.get_mut(*node) else {
                return;
            };
            let listed = std::mem::take(&mut n.children);
            listed
                .into_iter()
                .filter(|c| nodes.get(*c).is_some_and(|c| c.parent == *node))
                .collect()
        };
        for child in moving {
            self.attach(*new_parent, child);
        }
    }

    fn is_mathml_annotation_xml_integration_point(&self, handle: &usize) -> bool {
        self.nodes
            .borrow()
            .get(*handle)
            .is_some_and(|n| n.annotation_xml_integration_point)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn quickly(html: &str) -> Result<(), RenderError> {
        let started = Instant::now();
        let verdict = check(html);
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "took {:?}",
            started.elapsed()
        );
        verdict
    }

    #[test]
    fn ordinary_html_passes() {
        let article: String = (0..2_000)
            .map(|i| format!("<p>Paragraph {i} with <em>emphasis</em> and <a href=\"x\">a link</a>.</p><ul><li>a<li>b</ul><table><tr><td>x<td>y</table>\n"))
            .collect();
        assert_eq!(quickly(&article), Ok(()));
        let nested = "<div>".repeat(MAX_DEPTH - 2);
        assert_eq!(quickly(&nested), Ok(()));
        // Unclosed paragraphs and list items close themselves: not deep.
        assert_eq!(quickly(&"<p>one ".repeat(5_000)), Ok(()));
        assert_eq!(
            quickly(&format!("<ul>{}</ul>", "<li>x".repeat(5_000))),
            Ok(())
        );
    }

    #[test]
    fn deep_nesting_stops_at_once() {
        assert_eq!(
            quickly(&"<div>".repeat(80_000)),
            Err(RenderError::TooDeep { max: MAX_DEPTH })
        );
        assert_eq!(
            quickly(&"<blockquote>".repeat(MAX_DEPTH + 1)),
            Err(RenderError::TooDeep { max: MAX_DEPTH })
        );
    }

    #[test]
    fn formatting_the_parser_reopens_counts() {
        // Each paragraph is shallow as typed; the parser reopens every
        // earlier <b> inside the next one.
        let bomb: String = (0..5_000).map(|i| format!("<p><b id={i}></p>")).collect();
        assert_eq!(quickly(&bomb), Err(RenderError::TooDeep { max: MAX_DEPTH }));
    }

    #[test]
    fn too_many_elements() {
        let flat = "<br>".repeat(MAX_ELEMENTS + 1);
        assert_eq!(
            quickly(&flat),
            Err(RenderError::TooManyElements { max: MAX_ELEMENTS })
        );
    }
}
