-- Zero-party data: customers who answered the style / skin / scent quiz (quiz_answer events),
-- with their latest declared answer per question. One row per reachable customer.
{%- set questions = ['skin_type', 'scent', 'style', 'size'] %}
with contacts as (
{{ audience_contacts(['email']) }}
),

quiz_events as (

    select customer_id, occurred_at, properties
    from {{ ref('stg_shop__events') }}
    where event_type = 'quiz_answer' and properties is not null

),

answers as (
    {%- for question in questions %}

    select
        customer_id,
        '{{ question }}' as question,
        {{ audience_json_text('properties', question) }} as answer,
        occurred_at
    from quiz_events
    {%- if not loop.last %}

    union all
    {%- endif %}
    {%- endfor %}

),

latest_answers as (

    select
        customer_id,
        question,
        answer,
        row_number() over (
            partition by customer_id, question
            order by occurred_at desc, answer
        ) as recency_rank
    from answers
    where answer is not null

),

preferences as (

    select
        customer_id,
        {%- for question in questions %}
        max(case when question = '{{ question }}' then answer end) as quiz_{{ question }},
        {%- endfor %}
        count(*) as questions_answered
    from latest_answers
    where recency_rank = 1
    group by customer_id

),

last_quiz as (

    select customer_id, max(occurred_at) as last_quiz_at
    from quiz_events
    group by customer_id

)

select
    {{ audience_contact_columns() }},
    {%- for question in questions %}
    preferences.quiz_{{ question }},
    {%- endfor %}
    cast(preferences.questions_answered as integer) as questions_answered,
    last_quiz.last_quiz_at
from preferences
inner join last_quiz
    on preferences.customer_id = last_quiz.customer_id
inner join contacts
    on preferences.customer_id = contacts.customer_id
