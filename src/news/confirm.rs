//! The question before a topic is deleted (its POST is the staff's, in `staff`): the topic's
//! name and how many posts lose it.

use axum::{Router, extract::Path, response::Response, routing::get};

use crate::{
    error::{AppError, AppResult},
    policy,
    state::AppState,
    web::{self, Staff, confirm::Confirm},
};

pub fn router() -> Router<AppState> {
    Router::new().route("/staff/topics/{id}/delete", get(delete_topic))
}

async fn delete_topic(Staff(ctx, person): Staff, Path(id): Path<i64>) -> AppResult<Response> {
    web::permit(policy::can_publish(&person))?;
    let (name, posts): (String, i64) = sqlx::query_as(
        "SELECT t.name, (SELECT COUNT(*) FROM post_topics pt WHERE pt.topic_id = t.id) \
         FROM topics t WHERE t.id = $1",
    )
    .bind(id)
    .fetch_optional(&ctx.state.pool)
    .await?
    .ok_or(AppError::NotFound)?;
    let posts = match posts {
        0 => "No post has it.".to_owned(),
        1 => "The one post that has it keeps its other topics.".to_owned(),
        n => format!("The {n} posts that have it keep their other topics."),
    };
    Ok(Confirm {
        layout: ctx.layout().await,
        title: format!("Delete: topic {name}"),
        heading: format!("Delete the topic “{name}”?"),
        explanation: format!(
            "The topic and its list of news are removed for good; no post is deleted. {posts}"
        ),
        action: format!("/staff/topics/{id}/delete"),
        button: "Delete the topic".to_owned(),
        back: "/staff/topics".to_owned(),
        back_label: "Keep it".to_owned(),
        crumb: None,
        detail: None,
        note: None,
    }
    .render())
}
